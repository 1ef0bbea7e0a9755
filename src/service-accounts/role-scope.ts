import { AppError } from '../errors/app-error.ts';
import { isUuid } from '../common/ids.ts';

/**
 * The role named by a registration's `scope` (spec §4.2, §5.7): `urn:vcloud:role:<role name,
 * percent-encoded>` (the Go SDK uses url.PathEscape, so `vApp%20Author`; a `+` stays a `+`). A
 * role URN with the role's UUID is read as that id. Returns the role's name or id.
 */
export function roleOfScope(scope: unknown): { name: string } | { id: string } {
  const prefix = 'urn:vcloud:role:';
  if (typeof scope !== 'string' || !scope.startsWith(prefix) || scope.length > 512 || /\s/.test(scope)) {
    throw new AppError('VALIDATION_FAILED', { message: 'scope must name one role as urn:vcloud:role:<percent-encoded role name>, e.g. urn:vcloud:role:vApp%20Author.' });
  }
  let value: string;
  try {
    value = decodeURIComponent(scope.slice(prefix.length));
  } catch {
    throw new AppError('VALIDATION_FAILED', { message: 'scope holds a malformed percent-encoding.' });
  }
  if (value === '' || /[\u0000-\u001f\u007f]/.test(value)) throw new AppError('VALIDATION_FAILED', { message: 'scope names no role.' });
  return isUuid(value) ? { id: value } : { name: value };
}

import { AppError } from '../errors/app-error.ts';
import { UNDEFINED_BUNDLE_KEY } from './rbac-change.ts';

/** Longest name / description we store; VCD's limits are not documented (spec §13). */
const MAX_NAME_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 4096;
/** Upper bound on `values` in one rights or tenants call (the whole catalogue fits many times). */
export const MAX_REF_VALUES = 1000;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The writable fields of a role, global role or rights bundle. */
export interface RbacObjectInput {
  name: string;
  description: string;
  bundleKey: string;
  /** Only global roles and rights bundles use it, and only at creation. */
  publishAll: boolean;
}

/** A `{name, id}` reference from a `values` body; either part may be missing. */
export interface RefInput {
  name: string | undefined;
  id: string | undefined;
}

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message });
}

function asObject(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(`Send a JSON object such as ${example}.`);
  return body as Record<string, unknown>;
}

function optionalString(fields: Record<string, unknown>, key: string, max: number, dflt: string): string {
  const v = fields[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || v.length > max) throw invalid(`${key} must be a string of at most ${max} characters.`);
  return v;
}

/**
 * Reads the JSON body of a create or PUT (spec §7.3, §7.4). Clients send the whole object back
 * on PUT (`G:govcd/roles.go` `Update`), so `id`, when present, must name the object in the path;
 * `readOnly` is ignored (the server decides it).
 */
export function readRbacObjectInput(body: unknown, expectedUrn?: string): RbacObjectInput {
  const fields = asObject(body, '{"name":"Auditor","description":"Reads everything"}');
  const name = fields.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH || CONTROL_CHARS.test(name)) {
    throw invalid(`name must be a string of 1 to ${MAX_NAME_LENGTH} printable characters.`);
  }
  if (expectedUrn !== undefined && fields.id !== undefined && fields.id !== null && fields.id !== '' && fields.id !== expectedUrn) {
    throw invalid(`id ${String(fields.id).slice(0, 80)} does not match the object in the request path.`);
  }
  const publishAll = fields.publishAll;
  if (publishAll !== undefined && publishAll !== null && typeof publishAll !== 'boolean') throw invalid('publishAll must be true, false or null.');
  return {
    name,
    description: optionalString(fields, 'description', MAX_DESCRIPTION_LENGTH, ''),
    bundleKey: optionalString(fields, 'bundleKey', MAX_NAME_LENGTH, '') || UNDEFINED_BUNDLE_KEY,
    publishAll: publishAll === true,
  };
}

/**
 * Reads `{"values":[{"name":…,"id":…}]}` (spec §7.3 rights, §7.4 tenants). `values` may be
 * empty (a PUT that clears) but must be an array; each item needs a name or an id.
 */
export function readRefValues(body: unknown, what: 'right' | 'org'): RefInput[] {
  const example = what === 'right' ? '{"values":[{"name":"Role: View","id":"urn:vcloud:right:…"}]}' : '{"values":[{"name":"acme","id":"urn:vcloud:org:…"}]}';
  const fields = asObject(body, example);
  const values = fields.values;
  if (!Array.isArray(values)) throw invalid(`values must be an array, as in ${example}.`);
  if (values.length > MAX_REF_VALUES) throw invalid(`values may hold at most ${MAX_REF_VALUES} items.`);
  return values.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid(`values[${i}] must be an object with a name or an id.`);
    const { name, id } = item as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    if ((name !== undefined && name !== null && typeof name !== 'string') || (id !== undefined && id !== null && typeof id !== 'string')) {
      throw invalid(`values[${i}].name and values[${i}].id must be strings.`);
    }
    const ref = { name: str(name), id: str(id) };
    if (!ref.name && !ref.id) throw invalid(`values[${i}] must have a name or an id.`);
    return ref;
  });
}

/** How a reference reads in an error message: its name when given, else its id (truncated). */
export function describeRef(ref: RefInput): string {
  return (ref.name ?? ref.id ?? '').slice(0, 160);
}

import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { AppError } from '../../errors/app-error.ts';
import type { RoleRefInput } from '../../identity/role-refs.ts';
import { VCLOUD_NS, xmlDocument } from '../http/xml.ts';

export const USER_XML_TYPE = 'application/vnd.vmware.admin.user+xml';
export const ROLE_XML_TYPE = 'application/vnd.vmware.admin.role+xml';
export const GROUP_XML_TYPE = 'application/vnd.vmware.admin.group+xml';
export const ADMIN_ORG_XML_TYPE = 'application/vnd.vmware.admin.organization+xml';

export interface UserXmlRow {
  id: string;
  org_id: string;
  username: string;
  full_name: string;
  description: string;
  email: string;
  enabled: number;
  locked: number;
  deployed_vm_quota: number;
  stored_vm_quota: number;
}

/**
 * XML `User` (spec §7.6, `types.User` in go-vcloud-director), children in schema order.
 * `Password` is never returned. VCD's XML calls local users `INTEGRATED`. XML carries one `Role`:
 * the first assigned role.
 */
export function userXml(
  u: UserXmlRow, roles: readonly { id: string; name: string }[], groups: readonly { id: string; name: string }[], baseUrl: string,
): string {
  const href = `${baseUrl}/api/admin/user/${u.id}`;
  const role = roles[0];
  return xmlDocument('User', {
    '@_xmlns': VCLOUD_NS,
    '@_name': u.username,
    '@_id': toUrn('user', u.id),
    '@_href': href,
    '@_type': USER_XML_TYPE,
    Link: [
      { '@_rel': 'edit', '@_href': href, '@_type': USER_XML_TYPE },
      { '@_rel': 'remove', '@_href': href },
      { '@_rel': 'up', '@_href': `${baseUrl}/api/admin/org/${u.org_id}`, '@_type': ADMIN_ORG_XML_TYPE },
      { '@_rel': 'takeOwnership', '@_href': `${href}/action/takeOwnership` },
    ],
    Description: u.description,
    FullName: u.full_name,
    EmailAddress: u.email,
    IsEnabled: String(u.enabled === 1),
    IsLocked: String(u.locked === 1),
    NameInSource: u.username,
    IsExternal: 'false',
    ProviderType: 'INTEGRATED',
    IsGroupRole: 'false',
    StoredVmQuota: String(u.stored_vm_quota),
    DeployedVmQuota: String(u.deployed_vm_quota),
    ...(role ? { Role: { '@_href': `${baseUrl}/api/admin/role/${role.id}`, '@_name': role.name, '@_type': ROLE_XML_TYPE } } : {}),
    GroupReferences: {
      GroupReference: groups.map((g) => ({ '@_href': `${baseUrl}/api/admin/group/${g.id}`, '@_name': g.name, '@_type': GROUP_XML_TYPE })),
    },
  });
}

/** The fields of a `User` request body. */
export interface UserXmlInput {
  name: string | undefined;
  fullName: string;
  description: string;
  email: string;
  enabled: boolean;
  locked: boolean;
  deployedVmQuota: number;
  storedVmQuota: number;
  password: string | undefined;
  role: RoleRefInput | undefined;
}

/**
 * The parser keeps entities unexpanded (no DTD, no entity tricks), so text gets the five
 * predefined XML entities and character references decoded here, `&amp;` last.
 */
export function xmlText(v: unknown): string | undefined {
  const raw = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { '#text'?: unknown })['#text'] === 'string' ? (v as { '#text': string })['#text'] : undefined;
  if (raw === undefined) return v && typeof v === 'object' ? '' : undefined;
  return raw
    .replace(/&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});/g, (m, n: string) => {
      const cp = n.startsWith('x') ? parseInt(n.slice(1), 16) : parseInt(n, 10);
      return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : m;
    })
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function xmlBool(field: string, v: unknown): boolean {
  const s = xmlText(v);
  if (s === undefined) return false;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0' || s === '') return false;
  throw new AppError('VALIDATION_FAILED', { message: `${field} must be true or false.` });
}

function xmlInt(field: string, v: unknown): number {
  const s = xmlText(v);
  if (s === undefined || s === '') return 0;
  if (!/^-?\d{1,9}$/.test(s)) throw new AppError('VALIDATION_FAILED', { message: `${field} must be a whole number.` });
  return Number(s);
}

/**
 * Reads a `User` document (POST /api/admin/org/{id}/users, PUT /api/admin/user/{id}). The Go SDK
 * marshals booleans and quotas with `omitempty`, so `false` and `0` arrive as missing elements:
 * `Disable()` and `Unlock()` are a PUT without IsEnabled / IsLocked. A missing element therefore
 * means false / 0 / empty text. A missing Role means "keep the roles".
 */
export function parseUserXml(body: unknown): UserXmlInput {
  const user = body && typeof body === 'object' ? (body as Record<string, unknown>).User : undefined;
  if (!user || typeof user !== 'object' || Array.isArray(user)) {
    throw new AppError('MALFORMED_BODY', { message: `The body must be a User document (${USER_XML_TYPE}).` });
  }
  const u = user as Record<string, unknown>;
  const roleEl = u.Role && typeof u.Role === 'object' ? (u.Role as Record<string, unknown>) : undefined;
  let role: RoleRefInput | undefined;
  if (roleEl) {
    const href = xmlText(roleEl['@_href']);
    const fromHref = href ? uuidFromUrn(href.replace(/\/+$/, '').split('/').pop() ?? '', 'role') : null;
    const id = fromHref ?? xmlText(roleEl['@_id']);
    const name = xmlText(roleEl['@_name']);
    if (!id && !name) throw new AppError('VALIDATION_FAILED', { message: 'Role needs an href (…/api/admin/role/{id}) or a name.' });
    role = id ? { id } : { name: name ?? null };
  }
  return {
    name: xmlText(u['@_name']),
    fullName: xmlText(u.FullName) ?? '',
    description: xmlText(u.Description) ?? '',
    email: xmlText(u.EmailAddress) ?? '',
    enabled: xmlBool('IsEnabled', u.IsEnabled),
    locked: xmlBool('IsLocked', u.IsLocked),
    deployedVmQuota: xmlInt('DeployedVmQuota', u.DeployedVmQuota),
    storedVmQuota: xmlInt('StoredVmQuota', u.StoredVmQuota),
    password: xmlText(u.Password) || undefined,
    role,
  };
}

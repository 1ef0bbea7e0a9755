import { RIGHTS } from '../rbac/rights-catalog.ts';

/**
 * What a session made from an API token may not do (spec §8, seeds 000–002): change the password,
 * manage users or groups, create tokens, change roles, global roles or rights bundles, see or
 * revoke other users' tokens. It keeps view rights on users, groups, roles, global roles and
 * rights bundles. This module is the single place that decides it:
 * - `restrictRightsForApiTokenSession` strips the manage rights from the owner's current rights;
 * - routes carry `apiTokenSession: 'deny'` (checked in api/http/route-guard.ts) for operations no
 *   right can grant here (register, jwt-bearer, password change).
 */
const STRIPPED_RIGHTS: ReadonlySet<string> = new Set([
  RIGHTS.userManage,
  RIGHTS.roleManage,
  RIGHTS.globalRoleManage,
  RIGHTS.rightsBundleManage,
  RIGHTS.apiTokensManageAll,
  RIGHTS.tokenManage,
  RIGHTS.tokenManageAll,
  RIGHTS.mfaManage,
]);

export function restrictRightsForApiTokenSession(rights: ReadonlySet<string>): Set<string> {
  return new Set([...rights].filter((r) => !STRIPPED_RIGHTS.has(r)));
}

/** True when a token-derived session lacks `right` because of this policy (not the owner's roles). */
export function isStrippedForApiTokenSession(right: string): boolean {
  return STRIPPED_RIGHTS.has(right);
}

export const API_TOKEN_SESSION_DENIED_MESSAGE = 'This operation is not allowed in a session created from an API token.';

import { AppError } from '../errors/app-error.ts';
import { RIGHTS } from '../rbac/rights-catalog.ts';
import type { Principal } from './principal.ts';

/**
 * What a session made from an API token may not do (spec §8, seeds 000–002): change the password,
 * manage users or groups, create tokens, change roles, global roles or rights bundles, see or
 * revoke other users' tokens. It keeps view rights on users, groups, roles, global roles and
 * rights bundles. This module is the single place that decides it:
 * - `restrictRightsForApiTokenSession` strips the manage rights from the owner's current rights;
 * - routes carry `apiTokenSession: 'deny'` (checked in api/http/route-guard.ts) for operations no
 *   right can grant here (register, jwt-bearer, password change);
 * - `requireTokenReachableFromSession` and `isSessionReachable` narrow what is left to the session's
 *   own token and its own session (spec §8.2, seed 001: "cannot … view or revoke other tokens"),
 *   the owner's other tokens and sessions included;
 * - a token-derived session never becomes a portal cookie session (route-guard.ts and
 *   web/portal-session-routes.ts ask `isApiTokenSession`).
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

/** True for a session minted from an API token (spec §8). */
export function isApiTokenSession(p: Pick<Principal, 'apiTokenId'>): boolean {
  return p.apiTokenId !== null;
}

/**
 * Spec §8.2: a token-derived session reads and revokes only the API token it came from. Any other
 * id — the owner's other tokens, someone else's, an unknown one — is refused alike, before any
 * lookup, so the answer says nothing about whether that token exists (403, spec §5.3 and §8.3).
 */
export function requireTokenReachableFromSession(p: Pick<Principal, 'apiTokenId'>, tokenId: string): void {
  if (p.apiTokenId !== null && p.apiTokenId !== tokenId) throw new AppError('API_TOKEN_SESSION_FORBIDDEN');
}

/** Spec §8.2: a token-derived session sees and ends only itself among its owner's sessions. */
export function isSessionReachable(p: Pick<Principal, 'apiTokenId' | 'sessionId'>, sessionId: string): boolean {
  return p.apiTokenId === null || p.sessionId === sessionId;
}

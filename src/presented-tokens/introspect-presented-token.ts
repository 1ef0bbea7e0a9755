import { toUrn } from '../common/ids.ts';
import type { Principal } from '../sessions/principal.ts';
import type { PresentedTokenDeps, PresentedTokenKind } from './presented-token-kind.ts';
import { kindsFor, presentedTokenKinds } from './presented-token-kinds.ts';

/** RFC 7662 §2.2 response: `{"active": false}` alone, or the active token's members. */
export type IntrospectionResponse =
  | { active: false }
  | {
    active: true; token_type: string; sub: string; username: string; org: string; org_id: string; iss: string;
    client_id?: string; iat?: number; exp?: number; scope?: string; jti?: string;
  };

/**
 * What the caller may learn about a presented token (RFC 7662). Only live tokens in the caller's
 * reach are active: a tenant caller's own org, every org for a provider caller. Anything else —
 * unknown, malformed, revoked, expired, another org's — is `{"active": false}` and nothing more
 * (RFC 7662 §2.2: no hint why). `issuerOf` gives the issuer URL of an org (RFC 8414 metadata).
 */
export async function introspectPresentedToken(
  deps: PresentedTokenDeps, caller: Principal, token: string, hint: string | undefined,
  issuerOf: (org: { id: string; name: string }) => string,
  kinds: readonly PresentedTokenKind[] = presentedTokenKinds,
): Promise<IntrospectionResponse> {
  for (const kind of kindsFor(token, hint, kinds)) {
    const { found, active: t } = await kind.inspect(token, deps);
    if (!found) continue;
    if (!t || (!caller.isProvider && t.orgId !== caller.orgId)) return { active: false };
    return {
      active: true,
      token_type: t.tokenType,
      // `sub` is machine-readable and unique across orgs (a user name is unique only in its org).
      sub: t.subjectUrn ?? toUrn('user', t.userId),
      username: t.username,
      org: t.orgName,
      org_id: toUrn('org', t.orgId),
      iss: issuerOf({ id: t.orgId, name: t.orgName }),
      ...(t.clientId !== null ? { client_id: t.clientId } : {}),
      ...(t.issuedAtSeconds !== null ? { iat: t.issuedAtSeconds } : {}),
      ...(t.expiresAtSeconds !== null ? { exp: t.expiresAtSeconds } : {}),
      ...(t.scope !== null ? { scope: t.scope } : {}),
      ...(t.jti !== null ? { jti: t.jti } : {}),
    };
  }
  return { active: false };
}

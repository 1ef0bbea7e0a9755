import type { NetworkMatcher } from '../tokens/allowed-networks.ts';
import type { EntityRef } from '../common/ref.ts';

/** The authenticated caller of one request. */
export interface Principal {
  readonly sessionId: string;
  readonly userId: string;
  readonly username: string;
  readonly orgId: string;
  readonly orgName: string;
  /** True for users of the provider org `System`. */
  readonly isProvider: boolean;
  /** Set when the session was minted from an API token (a token-derived session, spec §8). */
  readonly apiTokenId: string | null;
  /**
   * Set when the caller is a service account (issue 16): then `userId`/`username` name the
   * account and `apiTokenId` carries its id too, so every token-session rule (spec §8) applies.
   */
  readonly serviceAccountId?: string | null;
  /** Effective rights after the token-session restrictions. */
  readonly rights: ReadonlySet<string>;
  readonly roles: readonly EntityRef[];
  /** The session may only enrol a second factor (org requires MFA, user has none yet). */
  readonly enrolmentOnly: boolean;
  readonly expiresAt: string;
  /**
   * Set for a session made from an API token with limits (issue 17): a read-only token's session
   * may only read; one with allowed networks is refused from other addresses (route-guard.ts).
   */
  readonly tokenLimits?: { readonly readOnly: boolean; readonly networks: NetworkMatcher | null };
}

/** The org a request acts in: the caller's own, or a tenant named by a provider's tenant context. */
export interface OrgContext {
  readonly orgId: string;
  readonly orgName: string;
}

export function hasRight(p: Principal, right: string): boolean {
  return p.rights.has(right);
}

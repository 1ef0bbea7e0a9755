import type { Kysely } from 'kysely';
import type { Clock } from '../common/clock.ts';
import type { SessionService } from '../sessions/session-service.ts';
import type { ServiceAccounts } from '../service-accounts/index.ts';
import type { Database } from '../storage/database.ts';

/** What revocation and introspection need from the rest of the server. */
export interface PresentedTokenDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly sessions: SessionService;
  /** A service account's rotating refresh token is one more kind (issue 16). */
  readonly serviceAccounts: Pick<ServiceAccounts, 'describePresentedToken' | 'revokeByPresentedRefreshToken'>;
  readonly systemOrgName: string;
}

/** What an active token is, as introspection reports it (RFC 7662 §2.2). */
export interface ActiveTokenFacts {
  /** RFC 7662 `token_type`: `Bearer` for access tokens, the OAuth token name otherwise. */
  readonly tokenType: string;
  readonly orgId: string;
  readonly orgName: string;
  readonly userId: string;
  readonly username: string;
  /** RFC 7662 `sub` when the subject is not a user (a service account); else the user's URN. */
  readonly subjectUrn?: string;
  /** The OAuth client the token was issued to: an API token's id (its `client_id` at register). */
  readonly clientId: string | null;
  readonly issuedAtSeconds: number | null;
  /** Null for tokens that do not expire (API tokens, spec §4). */
  readonly expiresAtSeconds: number | null;
  readonly scope: string | null;
  /** The session id of an access token. */
  readonly jti: string | null;
}

/** Who presented a token for revocation: nobody authenticated, only an address and an endpoint. */
export interface Presenter {
  readonly clientIp: string;
  /** The path the token was posted to (audited: it says which issuer the presenter chose). */
  readonly endpoint: string;
}

/**
 * What revoking a presented token did: `revoked` (this request revoked it and audited that),
 * `not_live` (found, but already revoked, ended or expired: nothing to do), `not_found` (not a
 * token of this kind; the next kind is tried).
 */
export type RevocationOutcome = 'revoked' | 'not_live' | 'not_found';

/**
 * One kind of token a client may present at the revocation and introspection endpoints (RFC
 * 7009, RFC 7662). Like the grant handlers, adding a kind (issue 16: a service account's rotating
 * refresh token) is one new file plus one line in presented-token-kinds.ts.
 */
export interface PresentedTokenKind {
  /** A name for logs and docs, e.g. `api_token`. */
  readonly kind: string;
  /** The `token_type_hint` values (RFC 7009 §2.1, RFC 7662 §2.1) that name this kind. */
  readonly hints: readonly string[];
  /** True when the string has this kind's shape; no database access. */
  recognises(token: string): boolean;
  /** Facts about the token when it is live, else null (unknown, revoked, expired, owner disabled…). */
  inspect(token: string, deps: PresentedTokenDeps): Promise<{ found: boolean; active: ActiveTokenFacts | null }>;
  /** Revokes the token if it is live, auditing it as revoked by presentation in the same transaction. */
  revoke(token: string, deps: PresentedTokenDeps, by: Presenter): Promise<RevocationOutcome>;
}

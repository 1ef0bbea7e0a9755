import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../storage/database.ts';
import type { DialectCapabilities } from '../../storage/dialects/capabilities.ts';
import type { Clock } from '../../common/clock.ts';
import type { SessionService } from '../../sessions/session-service.ts';
import type { LoginService } from '../../identity/login-service.ts';
import type { PasswordHasher } from '../../identity/password-hasher.ts';
import type { FailureLimiter } from '../../security/rate-limiter.ts';
import type { ApiTokenService } from '../../tokens/api-token-service.ts';
import type { SigningKeyRing } from '../../tokens/signing-keys.ts';
import type { ServiceAccounts } from '../../service-accounts/index.ts';

/** What the composition root (server.ts) hands to every route. */
export interface Services {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly caps: DialectCapabilities;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This installation's site id (spec §3.10 `location`). */
  readonly siteId: string;
  readonly keys: SigningKeyRing;
  readonly sessions: SessionService;
  readonly login: LoginService;
  /** Password hashing with bounded concurrency (argon2id; issue 18). */
  readonly passwords: PasswordHasher;
  /** Failed-credential limiter for logins and second-factor codes. */
  readonly loginLimiter: FailureLimiter;
  /** Failed-credential limiter for the OAuth token endpoint. */
  readonly tokenLimiter: FailureLimiter;
  readonly apiTokens: ApiTokenService;
  /** Service accounts (issue 16). */
  readonly serviceAccounts: ServiceAccounts;
}

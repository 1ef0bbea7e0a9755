import type { OAuthTokenResponse } from '../api/cloudapi/wire.ts';

/** Milliseconds since the epoch; inject one in tests to move time without sleeping. */
export type NowFn = () => number;

/** Where a client's bearer access token comes from. */
export interface AccessTokenSource {
  /** The access token to send now (renewed first when it is close to expiry). */
  getAccessToken(): Promise<string>;
  /**
   * Called once after the server refused `rejected` with 401. Resolves true when a different
   * token is now available (the caller retries once), false when nothing can be done.
   */
  renewAfterRejection(rejected: string): Promise<boolean>;
}

/** A fixed access token (an interactive session from `login`, or one handed over by a script). */
export class FixedAccessToken implements AccessTokenSource {
  constructor(private readonly accessToken: string) {}

  getAccessToken(): Promise<string> {
    return Promise.resolve(this.accessToken);
  }

  renewAfterRejection(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

interface CurrentToken {
  accessToken: string;
  expiresAtMs: number;
  renewAtMs: number;
}

export interface ApiTokenAccessTokensOptions {
  /** Performs the refresh_token grant (spec §4.4). */
  exchange: () => Promise<OAuthTokenResponse>;
  now?: NowFn;
  /** Renew once this fraction of `expires_in` has elapsed (default 0.9). */
  renewAtFraction?: number;
}

/**
 * Access tokens minted from an API token. Renews before `expires_in` runs out (at 90% of the
 * lifetime by default, so a request never leaves with a token about to die in flight) and once
 * after a 401. Concurrent callers share one exchange; a failed exchange is thrown to the caller
 * (an OAuthError `invalid_grant` when the API token was revoked), never retried in a loop.
 */
export class ApiTokenAccessTokens implements AccessTokenSource {
  private current: CurrentToken | null = null;
  private pending: Promise<CurrentToken> | null = null;
  private readonly now: NowFn;
  private readonly renewAtFraction: number;

  constructor(private readonly opts: ApiTokenAccessTokensOptions) {
    this.now = opts.now ?? Date.now;
    this.renewAtFraction = Math.min(1, Math.max(0, opts.renewAtFraction ?? 0.9));
  }

  /** When the current access token expires (ms since epoch), or null before the first exchange. */
  get expiresAtMs(): number | null {
    return this.current?.expiresAtMs ?? null;
  }

  async getAccessToken(): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.renewAtMs) return current.accessToken;
    return (await this.renew()).accessToken;
  }

  async renewAfterRejection(rejected: string): Promise<boolean> {
    // Another request already replaced the refused token: just retry with the new one.
    if (this.current && this.current.accessToken !== rejected) return true;
    await this.renew();
    return true;
  }

  /** Exchanges the API token now (single flight). */
  renew(): Promise<CurrentToken> {
    this.pending ??= this.exchangeOnce().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async exchangeOnce(): Promise<CurrentToken> {
    const startedAt = this.now();
    const res = await this.opts.exchange();
    const lifetimeMs = Math.max(0, res.expires_in) * 1000;
    this.current = {
      accessToken: res.access_token,
      // Measured from before the request: the server's clock started no later than that.
      expiresAtMs: startedAt + lifetimeMs,
      renewAtMs: startedAt + lifetimeMs * this.renewAtFraction,
    };
    return this.current;
  }
}

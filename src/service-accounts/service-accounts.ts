import type { OAuthOrgRef } from '../tokens/api-token-service.ts';
import type { ServiceAccountDeps } from './service-account-context.ts';
import { ServiceAccountService } from './service-account-service.ts';
import { RefreshTokenChain, type PresentedTokenDescription, type ServiceAccountTokenResponse } from './refresh-token-chain.ts';
import { DeviceFlow } from './device-flow.ts';

/**
 * The service-account domain as the routes and grants see it: `accounts` (register, read, update,
 * revoke, delete), `devices` (RFC 8628), and the refresh-token chain.
 */
export class ServiceAccounts {
  readonly accounts: ServiceAccountService;
  readonly devices: DeviceFlow;
  private readonly chain: RefreshTokenChain;

  constructor(deps: ServiceAccountDeps) {
    this.accounts = new ServiceAccountService(deps);
    this.chain = new RefreshTokenChain(deps);
    this.devices = new DeviceFlow(deps, this.accounts, this.chain);
  }

  /** The refresh_token grant for a service-account token: rotates, detects replays (RFC 9700 §4.14.2). */
  refresh(path: OAuthOrgRef, presented: string, clientIp: string, clientId?: string): Promise<ServiceAccountTokenResponse> {
    return this.chain.refresh(path, presented, clientIp, clientId);
  }

  /**
   * RFC 7009 revocation by presentation (issue 16b wires it into `/oauth/…/revoke`): revokes the
   * chain of a live service-account refresh token and the account's access tokens; audited with
   * the source address. False when it is not a live service-account refresh token.
   */
  revokeByPresentedRefreshToken(presented: string, clientIp: string): Promise<boolean> {
    return this.chain.revokeByPresentation(presented, clientIp);
  }

  /** RFC 7662 introspection of a presented service-account refresh token (issue 16b); null when not one. */
  describePresentedToken(presented: string): Promise<PresentedTokenDescription | null> {
    return this.chain.describe(presented);
  }
}

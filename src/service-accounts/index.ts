/** Service accounts (issue 16): org-owned identities with one role, RFC 8628 activation, rotating refresh tokens. */
export { ServiceAccounts } from './service-accounts.ts';
/** The principal of a service account's access token (injected into SessionService). */
export { ServiceAccountPrincipals, loadRoleRights } from './service-account-principals.ts';
/** Cheap shape check: does this refresh_token belong to a service account? */
export { isServiceAccountRefreshToken, REFRESH_TOKEN_PREFIX } from './secrets.ts';
/** Wire-facing types of the domain. */
export type { ServiceAccountView, ServiceAccountUpdate } from './service-account-service.ts';
export type { ServiceAccountTokenResponse, PresentedTokenDescription } from './refresh-token-chain.ts';
export type { DeviceAuthorizationResponse } from './device-flow.ts';
/** RFC 8628 timing constants (device code lifetime, polling interval). */
export { DEVICE_CODE_TTL_SECONDS, DEVICE_POLL_INTERVAL_SECONDS, type ServiceAccountStatus } from './service-account-context.ts';

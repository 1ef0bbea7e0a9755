/** OAuth: token-endpoint parameter parsing and the grant handlers. */
export { grantHandlers } from './grant-registry.ts';
export { readTokenParams, requireParam, type TokenParams } from './token-request.ts';
export type { GrantHandler, GrantRequest, TokenResponse } from './grant-handler.ts';

/** OAuth: token-endpoint parameter parsing and the grant handlers. */
export { grantHandlers } from './grant-registry.ts';
export { readTokenParams, requireParam, type TokenParams } from './token-request.ts';
export type { GrantHandler, GrantRequest, TokenResponse } from './grant-handler.ts';
export { authorizationServerMetadata, DEVICE_CODE_GRANT_TYPE } from './authorization-server-metadata.ts';
export { findOAuthOrg, issuerUrl } from './issuer.ts';

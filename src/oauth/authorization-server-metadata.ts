import { grantHandlers } from './grant-registry.ts';

/** RFC 8628 §3.4: the device authorization grant (issue 16a registers its handler). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * RFC 8414 §2 authorization-server metadata of one issuer. Decisions (issue 16):
 * - No `authorization_endpoint`: no grant here uses one (RFC 8414 §2 makes it optional then),
 *   so `response_types_supported`, which §2 requires, is the empty list.
 * - No `registration_endpoint`: `…/register` creates an API token for a logged-in user (spec
 *   §4.2), not an RFC 7591 client registration; a generic library must not try it.
 * - Every endpoint is for public clients (`none`); the introspection endpoint takes a bearer
 *   access token instead of client authentication (RFC 8414 §2 allows access token types there).
 * - `grant_types_supported` lists the token endpoint's registry, plus the device code grant,
 *   announced together with its `device_authorization_endpoint`.
 */
export function authorizationServerMetadata(issuer: string): Record<string, unknown> {
  return {
    issuer,
    token_endpoint: `${issuer}/token`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    grant_types_supported: [...new Set([...grantHandlers.keys(), DEVICE_CODE_GRANT_TYPE])],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    introspection_endpoint_auth_methods_supported: ['Bearer'],
  };
}

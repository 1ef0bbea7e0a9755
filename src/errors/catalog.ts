/**
 * Every error code OpenDirector emits, once: HTTP status, default client-safe message, the
 * CloudAPI / XML minorErrorCode (spec §6.3, §9.4) and the RFC 6749 §5.2 `error` name used on the
 * OAuth endpoints. Codes never change once shipped.
 */
export const errorCatalog = {
  BAD_REQUEST: { status: 400, minor: 'BAD_REQUEST', oauth: 'invalid_request', message: 'The request is not valid.' },
  INVALID_FILTER: { status: 400, minor: 'BAD_REQUEST', oauth: 'invalid_request', message: 'The filter expression is not valid.' },
  MALFORMED_BODY: { status: 400, minor: 'BAD_REQUEST', oauth: 'invalid_request', message: 'The request body could not be parsed.' },
  VALIDATION_FAILED: { status: 400, minor: 'BAD_REQUEST', oauth: 'invalid_request', message: 'The request body is not valid.' },
  DUPLICATE_NAME: { status: 400, minor: 'DUPLICATE_NAME', oauth: 'invalid_request', message: 'An object with that name already exists.' },
  UNAUTHORIZED: { status: 401, minor: 'UNAUTHORIZED', oauth: 'invalid_client', message: 'Authentication required.' },
  LOGIN_FAILED: { status: 401, minor: 'UNAUTHORIZED', oauth: 'invalid_client', message: 'Invalid credentials.' },
  SECOND_FACTOR_REQUIRED: { status: 401, minor: 'SECOND_FACTOR_REQUIRED', oauth: 'invalid_client', message: 'A second factor is required: send the current TOTP code in the X-OpenDirector-OTP header.' },
  SECOND_FACTOR_CODE_USED: { status: 401, minor: 'SECOND_FACTOR_CODE_USED', oauth: 'invalid_client', message: 'This code was already used — wait for the next one.' },
  ACCOUNT_LOCKED: { status: 401, minor: 'ACCOUNT_LOCKED', oauth: 'invalid_client', message: 'The account is locked after repeated wrong second-factor codes. Try again later (see Retry-After) or ask an administrator to unlock it.' },
  ACCESS_FORBIDDEN: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'Either you need some or all of the following rights to perform this operation or the target entity is invalid.' },
  API_TOKEN_SESSION_FORBIDDEN: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'This operation is not allowed in a session created from an API token.' },
  // Issue 17: token governance (read-only tokens, allowed networks, the org's token policy).
  API_TOKEN_READ_ONLY: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'This session was created from a read-only API token: it may only read (GET) and end itself.' },
  API_TOKEN_NETWORK_FORBIDDEN: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'This session was created from an API token that may not be used from your address.' },
  API_TOKEN_POLICY_FORBIDDEN: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'Your organization\'s API token policy does not allow this.' },
  ENROLMENT_REQUIRED: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'Your organization requires a second factor: enrol TOTP before doing anything else.' },
  TENANT_CONTEXT_FORBIDDEN: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'access_denied', message: 'The tenant context header names an organization this session cannot act in.' },
  NOT_FOUND: { status: 404, minor: 'RESOURCE_NOT_FOUND', oauth: 'invalid_request', message: 'The requested resource was not found.' },
  METHOD_NOT_ALLOWED: { status: 405, minor: 'METHOD_NOT_ALLOWED', oauth: 'invalid_request', message: 'The method is not allowed on this resource.' },
  NOT_ACCEPTABLE: { status: 406, minor: 'NOT_ACCEPTABLE', oauth: 'invalid_request', message: 'The requested API version is not supported.' },
  CONFLICT: { status: 409, minor: 'CONFLICT', oauth: 'invalid_request', message: 'The request conflicts with the current state of the resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, minor: 'BAD_REQUEST', oauth: 'invalid_request', message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, minor: 'UNSUPPORTED_MEDIA_TYPE', oauth: 'invalid_request', message: 'The request media type is not supported.' },
  RATE_LIMITED: { status: 429, minor: 'TOO_MANY_REQUESTS', oauth: 'slow_down', message: 'Too many attempts. Try again later.' },
  INTERNAL: { status: 500, minor: 'INTERNAL_SERVER_ERROR', oauth: 'server_error', message: 'An internal error occurred.' },
  SERVICE_UNAVAILABLE: { status: 503, minor: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable', message: 'The service is not ready.' },
  PASSWORD_HASHING_BUSY: { status: 503, minor: 'SERVICE_UNAVAILABLE', oauth: 'temporarily_unavailable', message: 'Too many password checks are waiting. Try again in a moment.' },
  // OAuth token endpoint (spec §4.8): identical body for unknown, revoked, wrong-org, malformed.
  INVALID_GRANT: { status: 400, minor: 'invalid_grant', oauth: 'invalid_grant', message: 'Invalid refresh token' },
  INVALID_OAUTH_REQUEST: { status: 400, minor: 'invalid_request', oauth: 'invalid_request', message: 'The token request is missing a parameter or repeats one.' },
  // RFC 6750 §3.1 on the introspection endpoint (RFC 7662 §2.1), whose caller is a bearer token.
  INVALID_BEARER_TOKEN: { status: 401, minor: 'UNAUTHORIZED', oauth: 'invalid_token', message: 'Send Authorization: Bearer with a valid access token.' },
  INSUFFICIENT_SCOPE: { status: 403, minor: 'ACCESS_TO_RESOURCE_IS_FORBIDDEN', oauth: 'insufficient_scope', message: 'The access token does not hold the right this endpoint needs.' },
  // Device authorization grant (RFC 8628 §3.5) and its client (spec §4.6, §5.7).
  INVALID_CLIENT: { status: 400, minor: 'invalid_client', oauth: 'invalid_client', message: 'The client is unknown.' },
  AUTHORIZATION_PENDING: { status: 400, minor: 'authorization_pending', oauth: 'authorization_pending', message: 'The authorization request is still pending: an administrator must enter the user code.' },
  SLOW_DOWN: { status: 400, minor: 'slow_down', oauth: 'slow_down', message: 'Polling too fast: wait the interval, which has been increased by 5 seconds.' },
  EXPIRED_TOKEN: { status: 400, minor: 'expired_token', oauth: 'expired_token', message: 'The device code has expired: start the device authorization again.' },
  DEVICE_ACCESS_DENIED: { status: 400, minor: 'access_denied', oauth: 'access_denied', message: 'An administrator denied the authorization request.' },
  UNSUPPORTED_GRANT_TYPE: { status: 400, minor: 'unsupported_grant_type', oauth: 'unsupported_grant_type', message: 'The grant type is not supported.' },
} as const satisfies Record<string, { status: number; minor: string; oauth: string; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

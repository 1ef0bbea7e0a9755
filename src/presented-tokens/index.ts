/** Tokens presented by their holder: RFC 7009 revocation and RFC 7662 introspection (issue 16). */
export { revokePresentedToken } from './revoke-presented-token.ts';
export { introspectPresentedToken, type IntrospectionResponse } from './introspect-presented-token.ts';
export { presentedTokenKinds, kindsFor } from './presented-token-kinds.ts';
export type { ActiveTokenFacts, PresentedTokenDeps, PresentedTokenKind, Presenter, RevocationOutcome } from './presented-token-kind.ts';

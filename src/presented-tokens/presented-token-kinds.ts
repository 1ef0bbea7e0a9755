import type { PresentedTokenKind } from './presented-token-kind.ts';
import { accessTokenKind } from './kinds/access-token-kind.ts';
import { apiTokenKind } from './kinds/api-token-kind.ts';
import { legacyTokenKind } from './kinds/legacy-token-kind.ts';
import { serviceAccountRefreshTokenKind } from './kinds/service-account-refresh-token-kind.ts';

/**
 * The kinds of token the revocation and introspection endpoints understand, in the order they
 * are tried. The token's shape says its kind (an API token has its `odt_` prefix and checksum, an
 * access token is a JWS, a legacy token 32 hex digits); every kind that recognises the string
 * is asked until one finds it, so two kinds may share a shape. A service account's refresh token
 * (`odsa_…`, issue 16) is one more entry.
 */
export const presentedTokenKinds: readonly PresentedTokenKind[] = [apiTokenKind, serviceAccountRefreshTokenKind, accessTokenKind, legacyTokenKind];

/**
 * The kinds that recognise `token`, those named by `hint` first. The hint only orders the search
 * (RFC 7009 §2.1, RFC 7662 §2.1: a server that cannot find the token by its hint searches all
 * its types); an unknown hint is ignored rather than refused with unsupported_token_type, since
 * the shape decides anyway.
 */
export function kindsFor(token: string, hint: string | undefined, kinds: readonly PresentedTokenKind[] = presentedTokenKinds): PresentedTokenKind[] {
  const matching = kinds.filter((k) => k.recognises(token));
  if (hint === undefined) return matching;
  return [...matching.filter((k) => k.hints.includes(hint)), ...matching.filter((k) => !k.hints.includes(hint))];
}

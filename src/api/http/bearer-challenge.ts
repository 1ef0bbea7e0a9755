import { readCredential } from './credentials.ts';

type Headers = Record<string, string | string[] | undefined>;

/** The realm of every challenge; the XML family has always sent it (clients do not read it). */
const REALM = 'vcloud';

/**
 * The `WWW-Authenticate` value of a 401 (RFC 7235 §4.1: a 401 must carry one), the same in every
 * family (XML, CloudAPI, and the OAuth register endpoint, which takes a bearer session):
 * - no access token presented (or only a password at a login endpoint): `Bearer realm="vcloud"`,
 *   with no error attribute (RFC 6750 §3.1: "SHOULD NOT include an error code");
 * - an access token presented (Authorization: Bearer, X-VMWARE-VCLOUD-ACCESS-TOKEN, or the legacy
 *   x-vcloud-authorization) and refused: `error="invalid_token"` and the refusal's message as
 *   `error_description` (RFC 6750 §3, §3.1).
 * Never `Basic`, although the login endpoints take Basic credentials: a browser that sees a Basic
 * challenge on the portal's fetch() opens its own password dialog.
 */
export function bearerChallenge(headers: Headers, message: string): string {
  const cred = readCredential(headers);
  if (cred === null || cred.kind === 'portalCookie') return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="invalid_token", error_description="${quotable(message)}"`;
}

/** RFC 6750 §3: error_description holds %x20-21 / %x23-5B / %x5D-7E only. */
function quotable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ').slice(0, 200);
}

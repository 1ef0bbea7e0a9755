import { isTlsErrorCode, OAuthError, OpenDirectorConnectionError, OpenDirectorError } from '../client/index.ts';

/**
 * Exit codes of `opendirector`, stable for scripts:
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | success |
 * | 1 | any other failure, e.g. 429 too many attempts (the message says how long to wait) |
 * | 2 | usage: bad arguments, missing --url / --org, unreadable token file |
 * | 3 | authentication: wrong credentials, second factor missing, session expired, API token unknown or revoked (HTTP 401, OAuth invalid_grant) |
 * | 4 | forbidden: the right is missing or the object is not visible (HTTP 403) |
 * | 5 | not found or invalid request (HTTP 400, 404, 405, 406, 409, 415, or no such token name) |
 * | 6 | server unreachable: connection refused, unknown host, TLS failure, timeout |
 * | 7 | server error (HTTP 5xx) |
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  forbidden: 4,
  invalid: 5,
  unreachable: 6,
  server: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI itself detects, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(message: string, readonly exitCode: ExitCode) {
    super(message);
  }
}

const AUTH_OAUTH_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client']);

function exitCodeForStatus(status: number): ExitCode {
  if (status === 401) return EXIT.auth;
  if (status === 403) return EXIT.forbidden;
  if ([400, 404, 405, 406, 409, 413, 415, 422].includes(status)) return EXIT.invalid;
  if (status >= 500) return EXIT.server;
  return EXIT.failure;
}

/** A sentence that tells people what to do next, for the failures they meet most. */
function hintFor(err: OpenDirectorError, context: ErrorContext): string | null {
  if (err instanceof OAuthError && err.error === 'invalid_grant' && err.url.includes('/token')) {
    return `the API token is unknown, revoked, or not a token of org "${context.org ?? '?'}".`;
  }
  if (err.status === 401 && err.minorErrorCode !== 'SECOND_FACTOR_REQUIRED' && context.credential === 'profile-session') {
    return 'the saved session has expired or was ended: run `opendirector login` again.';
  }
  if (err.minorErrorCode === 'SECOND_FACTOR_CODE_USED') {
    // Issue 19: a right code, already used (typically the one that confirmed the enrolment).
    return 'wait for the next code (a new one every 30 s) and log in again with it; this attempt did not count as a failure.';
  }
  if (err.minorErrorCode === 'ACCOUNT_LOCKED') {
    return err.retryAfterSeconds !== null
      ? `interactive logins are locked after too many wrong codes: try again in ${err.retryAfterSeconds} s, or ask an administrator to unlock the account (API tokens keep working).`
      : 'ask an administrator to unlock the account (API tokens keep working).';
  }
  if (err.status === 401 && err.url.includes('/sessions') && context.credential === 'password') {
    // The server answers a wrong code exactly like a wrong password (it says nothing about which).
    return context.totpSent
      ? 'check the user name, organization, password and TOTP code (a code is valid for 30 s).'
      : 'check the user name, organization and password.';
  }
  if (err.retryAfterSeconds !== null && (err.status === 429 || err.status === 503)) {
    return `wait ${err.retryAfterSeconds} s before trying again.`;
  }
  return null;
}

/** What to do about a TLS failure; null for other network errors. */
function connectionHint(err: OpenDirectorConnectionError): string | null {
  const code = err.code;
  if (!isTlsErrorCode(code)) return null;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the certificate is not issued for this host name: use the name in the certificate.';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'the server does not speak TLS on this port: try http:// instead of https://.';
  if (code !== null && /CERT|^UNABLE_TO_/.test(code)) {
    return 'the server\'s certificate is not trusted: if a private CA signed it, set NODE_EXTRA_CA_CERTS to that CA\'s PEM file.';
  }
  return null;
}

/** What the command was doing, to make the message precise. */
export interface ErrorContext {
  org?: string | undefined;
  credential?: 'profile-session' | 'profile-api-token' | 'api-token' | 'access-token' | 'password' | undefined;
  /** A TOTP code went with the password (a 401 may then be the code's fault). */
  totpSent?: boolean | undefined;
}

/**
 * One readable line and an exit code for any error:
 * `opendirector: <server message> (<minorErrorCode>, HTTP <status>)`.
 */
export function describeError(err: unknown, context: ErrorContext = {}): { line: string; exitCode: ExitCode } {
  if (err instanceof OpenDirectorError) {
    const code = err instanceof OAuthError && AUTH_OAUTH_ERRORS.has(err.error) ? EXIT.auth : exitCodeForStatus(err.status);
    const detail = [err.minorErrorCode, `HTTP ${err.status}`,
      // A server fault is for the server's operator: the request id finds it in their logs.
      err.status >= 500 && err.requestId ? `request id ${err.requestId}` : null].filter(Boolean).join(', ');
    const hint = hintFor(err, context);
    return { line: `opendirector: ${err.message.replace(/\s+$/, '')} (${detail})${hint ? ` — ${hint}` : ''}`, exitCode: code };
  }
  if (err instanceof OpenDirectorConnectionError) {
    const hint = connectionHint(err);
    return { line: `opendirector: ${err.message}${hint ? ` — ${hint}` : ''}`, exitCode: EXIT.unreachable };
  }
  if (err instanceof CliError) return { line: `opendirector: ${err.message}`, exitCode: err.exitCode };
  // The SDK's TypeErrors for a bad URL, and for an absolute URL off the server (`api GET https://elsewhere/…`).
  if (err instanceof TypeError && /^(Not (a|an http\(s\)) URL|Refusing to send credentials)/.test(err.message)) {
    return { line: `opendirector: ${err.message}`, exitCode: EXIT.usage };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { line: `opendirector: ${message}`, exitCode: EXIT.failure };
}

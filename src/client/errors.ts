import { parseXmlDocument } from './xml.ts';

/** What the SDK knows about a failed HTTP exchange. */
export interface OpenDirectorErrorInit {
  status: number;
  minorErrorCode: string | null;
  message: string;
  requestId: string | null;
  method: string;
  url: string;
  /** Seconds from the `Retry-After` header (429 and 503 answers); absent when the server sent none. */
  retryAfterSeconds?: number | null;
}

/**
 * The server answered with an error: HTTP `status`, the CloudAPI / XML `minorErrorCode`
 * (spec §6.3, §9.4), the server's `message` (without VCD's `[ request id ]` prefix) and the
 * `X-VMWARE-VCLOUD-REQUEST-ID` to quote when asking an operator to look at the logs.
 */
export class OpenDirectorError extends Error {
  override readonly name: string = 'OpenDirectorError';
  readonly status: number;
  readonly minorErrorCode: string | null;
  readonly requestId: string | null;
  readonly method: string;
  readonly url: string;
  /**
   * How long the server asked to wait before trying again (`Retry-After`, e.g. 429
   * TOO_MANY_REQUESTS after failed logins), in seconds; null when it did not say.
   */
  readonly retryAfterSeconds: number | null;

  constructor(init: OpenDirectorErrorInit) {
    super(init.message);
    this.status = init.status;
    this.minorErrorCode = init.minorErrorCode;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.retryAfterSeconds = init.retryAfterSeconds ?? null;
  }
}

/**
 * The OAuth token or register endpoint refused the request; `error` is the RFC 6749 §5.2 name
 * (`invalid_grant` for an unknown, revoked or wrong-org API token, spec §4.8).
 */
export class OAuthError extends OpenDirectorError {
  override readonly name: string = 'OAuthError';
  readonly error: string;

  constructor(init: OpenDirectorErrorInit & { error: string }) {
    super(init);
    this.error = init.error;
  }
}

/**
 * The server answered 2xx, but not with what the protocol promises (HTML instead of JSON, no
 * access token, …): most likely the URL points at some other web server or a portal page.
 */
export class UnexpectedAnswerError extends OpenDirectorError {
  override readonly name: string = 'UnexpectedAnswerError';
}

/** An UnexpectedAnswerError for `res`; `what` says what was missing. */
export function unexpectedAnswer(res: { status: number; headers: Headers; url: string }, method: string, what: string): UnexpectedAnswerError {
  return new UnexpectedAnswerError({
    status: res.status, minorErrorCode: null, requestId: res.headers.get('x-vmware-vcloud-request-id'), method, url: res.url,
    message: `Unexpected answer from ${method} ${res.url}: ${what} (is this an OpenDirector or Cloud Director server?)`,
  });
}

/** No HTTP answer at all: connection refused, DNS failure, TLS failure or timeout. */
export class OpenDirectorConnectionError extends Error {
  override readonly name: string = 'OpenDirectorConnectionError';
  readonly url: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `TIMEOUT`, … when the runtime says; null in browsers. */
  readonly code: string | null;

  constructor(url: string, code: string | null, detail: string | null, cause: unknown) {
    super(`Cannot reach ${url}: ${describeCode(code)}${code === null && detail ? ` (${detail})` : ''}`, { cause });
    this.url = url;
    this.code = code;
  }
}

/**
 * Whether a runtime error code is a TLS failure: Node's `ERR_TLS_*` / `ERR_SSL_*` (e.g.
 * `ERR_SSL_WRONG_VERSION_NUMBER`: https:// to a plain-http port) and OpenSSL's certificate
 * verification codes (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, …).
 */
export function isTlsErrorCode(code: string | null): boolean {
  return code !== null && (/^ERR_(TLS|SSL)_/.test(code) || code.includes('CERT') || /^UNABLE_TO_(VERIFY|GET)_/.test(code));
}

function describeCode(code: string | null): string {
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused (is the server running?)';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host name not found';
    case 'ECONNRESET': return 'connection reset';
    case 'TIMEOUT': return 'no answer in time';
    case null: return 'network error';
    default: return isTlsErrorCode(code) ? `TLS error (${code})` : `network error (${code})`;
  }
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** VCD prefixes messages with `[ <request id> ] ` (spec §6.3); people want the message itself. */
export function stripRequestIdPrefix(message: string): string {
  return message.replace(/^\[ [^\]]* \] /, '');
}

/** The error object for a non-2xx answer, from a JSON, XML or unrecognisable body. */
export function errorFromResponse(res: { status: number; statusText: string; headers: Headers; text: string }, method: string, url: string): OpenDirectorError {
  const requestId = res.headers.get('x-vmware-vcloud-request-id');
  const base = { status: res.status, requestId, method, url, retryAfterSeconds: parseRetryAfter(res.headers.get('retry-after')) };
  const contentType = res.headers.get('content-type') ?? '';
  const fallback = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${method} ${url}`;
  if (contentType.includes('json') || /^\s*\{/.test(res.text)) {
    const body = safeJson(res.text);
    if (body) {
      const minor = typeof body.minorErrorCode === 'string' ? body.minorErrorCode : null;
      const text = typeof body.message === 'string' ? body.message
        : typeof body.error_description === 'string' ? body.error_description : null;
      const message = text ? stripRequestIdPrefix(text) : fallback;
      if (typeof body.error === 'string') return new OAuthError({ ...base, minorErrorCode: minor ?? body.error, message, error: body.error });
      if (minor || text) return new OpenDirectorError({ ...base, minorErrorCode: minor, message });
    }
  }
  if (contentType.includes('xml') || /^\s*</.test(res.text)) {
    const doc = safeXml(res.text);
    const err = doc?.Error;
    if (err && typeof err === 'object' && !Array.isArray(err)) {
      const attrs = err as Record<string, unknown>;
      const minor = typeof attrs['@_minorErrorCode'] === 'string' ? attrs['@_minorErrorCode'] : null;
      const message = typeof attrs['@_message'] === 'string' ? stripRequestIdPrefix(attrs['@_message']) : fallback;
      return new OpenDirectorError({ ...base, minorErrorCode: minor, message });
    }
  }
  return new OpenDirectorError({ ...base, minorErrorCode: null, message: fallback });
}

function safeJson(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function safeXml(text: string): Record<string, unknown> | null {
  try {
    return parseXmlDocument(text);
  } catch {
    return null;
  }
}

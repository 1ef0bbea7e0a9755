import { parseXmlDocument } from './xml.ts';

/** What the SDK knows about a failed HTTP exchange. */
export interface OpenDirectorErrorInit {
  status: number;
  minorErrorCode: string | null;
  message: string;
  requestId: string | null;
  method: string;
  url: string;
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

  constructor(init: OpenDirectorErrorInit) {
    super(init.message);
    this.status = init.status;
    this.minorErrorCode = init.minorErrorCode;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
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

function describeCode(code: string | null): string {
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused (is the server running?)';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host name not found';
    case 'ECONNRESET': return 'connection reset';
    case 'TIMEOUT': return 'no answer in time';
    case null: return 'network error';
    default: return code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS error (${code})` : `network error (${code})`;
  }
}

/** VCD prefixes messages with `[ <request id> ] ` (spec §6.3); people want the message itself. */
export function stripRequestIdPrefix(message: string): string {
  return message.replace(/^\[ [^\]]* \] /, '');
}

/** The error object for a non-2xx answer, from a JSON, XML or unrecognisable body. */
export function errorFromResponse(res: { status: number; statusText: string; headers: Headers; text: string }, method: string, url: string): OpenDirectorError {
  const requestId = res.headers.get('x-vmware-vcloud-request-id');
  const base = { status: res.status, requestId, method, url };
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

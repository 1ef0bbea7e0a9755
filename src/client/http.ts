import { OpenDirectorConnectionError, errorFromResponse, unexpectedAnswer } from './errors.ts';

/** The slice of `fetch` the SDK uses; pass your own for proxies, custom TLS or tests. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A fully read HTTP answer. */
export interface ApiResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /** The body as text ('' for 204). */
  text: string;
  /** The absolute URL that was called. */
  url: string;
  /**
   * The body parsed as JSON. A body that is not JSON (a portal page, a proxy's HTML) throws an
   * UnexpectedAnswerError, never a bare SyntaxError.
   */
  json<T>(): T;
}

/** Query parameters; undefined values are left out. */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** One request: at most one of `json`, `form` and `body`. */
export interface SendOptions {
  query?: QueryParams;
  headers?: Record<string, string>;
  json?: unknown;
  /** `application/x-www-form-urlencoded` body (the OAuth token endpoint, spec §4.3). */
  form?: Record<string, string>;
  /** Raw body; set the Content-Type in `headers`. */
  body?: string;
  accept?: string;
}

export interface TransportOptions {
  /** Server origin, e.g. `https://vcd.example.net`; a trailing `/api` is accepted and dropped. */
  url: string;
  fetch?: FetchLike;
  /** Per-request limit, connect + body (default 30 s). */
  timeoutMs?: number;
}

/**
 * The origin all three URL families live under. Clients are often configured with
 * `https://host/api` (spec §1.1) and derive `/cloudapi` and `/oauth` from it.
 */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`Not an http(s) URL: ${url}`);
  const path = parsed.pathname.replace(/\/+$/, '').replace(/\/api$/, '');
  return `${parsed.origin}${path}`;
}

/** The most specific code (ECONNREFUSED, …) and message in a fetch failure's cause chain. */
function networkFailure(err: unknown): { code: string | null; detail: string | null } {
  let e: unknown = err;
  let detail: string | null = null;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const rec = e as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown };
    if (rec.name === 'AbortError' || rec.name === 'TimeoutError') return { code: 'TIMEOUT', detail: null };
    if (typeof rec.code === 'string' && rec.code !== 'UND_ERR_SOCKET') return { code: rec.code, detail };
    if (depth > 0 && typeof rec.message === 'string' && rec.message !== '') detail = rec.message;
    e = Array.isArray(rec.errors) && rec.errors.length > 0 ? rec.errors[0] : rec.cause;
  }
  return { code: null, detail };
}

/** Sends HTTP requests relative to one server; knows nothing about credentials. */
export class HttpTransport {
  readonly baseUrl: string;
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;

  constructor(opts: TransportOptions) {
    this.baseUrl = normalizeBaseUrl(opts.url);
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Absolute URL for a path (`/cloudapi/…`) or an absolute URL the server handed out. */
  resolve(pathOrUrl: string, query?: QueryParams): string {
    const url = new URL(/^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : `${this.baseUrl}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Whether an absolute URL points back into this server (safe to send credentials to). */
  isOwnUrl(url: string): boolean {
    return url === this.baseUrl || url.startsWith(`${this.baseUrl}/`) || url.startsWith(`${this.baseUrl}?`);
  }

  /** Sends one request and reads the whole answer, whatever its status. */
  async send(method: string, pathOrUrl: string, opts: SendOptions = {}): Promise<ApiResponse> {
    const url = this.resolve(pathOrUrl, opts.query);
    const headers: Record<string, string> = { ...(opts.accept ? { accept: opts.accept } : {}), ...opts.headers };
    let body: string | undefined = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.form !== undefined) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const res = await this.fetchFn(url, { method, headers, signal: controller.signal, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      return {
        status: res.status, statusText: res.statusText, headers: res.headers, text, url,
        json<T>() {
          try {
            return JSON.parse(text) as T;
          } catch {
            const type = res.headers.get('content-type');
            throw unexpectedAnswer({ status: res.status, headers: res.headers, url }, method, `not JSON${type ? ` (${type})` : ''}`);
          }
        },
      };
    } catch (err) {
      const { code, detail } = networkFailure(err);
      throw new OpenDirectorConnectionError(this.baseUrl, code, detail, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Like `send`, but a non-2xx answer becomes an OpenDirectorError (or OAuthError). */
  async request(method: string, pathOrUrl: string, opts: SendOptions = {}): Promise<ApiResponse> {
    const res = await this.send(method, pathOrUrl, opts);
    if (res.status < 200 || res.status > 299) {
      throw errorFromResponse(res, method, res.url);
    }
    return res;
  }
}

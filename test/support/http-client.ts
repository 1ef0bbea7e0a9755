import http from 'node:http';
/** Small fetch wrapper for tests: real HTTP over loopback, returns status, headers and text. */
export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Uint8Array; json?: unknown } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Uint8Array | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body: body as BodyInit } : {}) });
  const text = await res.text();
  return {
    status: res.status, headers: res.headers, text,
    json<T>() {
      return JSON.parse(text) as T;
    },
  };
}

export function basic(user: string, org: string, password: string): string {
  return `Basic ${Buffer.from(`${user}@${org}:${password}`).toString('base64')}`;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * The same as `request`, sent from a chosen loopback source address (`from`: 127.0.0.2, …; on
 * Linux the whole 127/8 is loopback), for rules that depend on the client address.
 */
export function requestFrom(
  baseUrl: string,
  method: string,
  path: string,
  opts: { from?: string; headers?: Record<string, string>; body?: string; json?: unknown } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, { method, agent: false, headers, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve({ status: res.statusCode ?? 0, headers: h, text, json: <T>() => JSON.parse(text) as T });
      });
    });
    req.once('error', reject);
    req.end(body);
  });
}

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

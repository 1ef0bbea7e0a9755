import type { FetchLike } from '../../src/client/index.ts';

export interface RecordedCall {
  method: string;
  path: string;
  status: number;
  requestId: string | null;
}

/**
 * A real fetch that records every call (method, path + query, status, request id), so a test can
 * count token exchanges and retries. `rewrite` may replace the answer (e.g. force a 401).
 */
export function recordingFetch(rewrite?: (path: string, res: Response) => Response): { fetch: FetchLike; calls: RecordedCall[]; count(method: string, pathPrefix: string): number } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    fetch: async (input, init) => {
      let res = await fetch(input, init);
      const url = new URL(input);
      const path = url.pathname + url.search;
      if (rewrite) {
        const replaced = rewrite(path, res);
        if (replaced !== res) await res.body?.cancel();
        res = replaced;
      }
      calls.push({ method: init.method ?? 'GET', path, status: res.status, requestId: res.headers.get('x-vmware-vcloud-request-id') });
      return res;
    },
    count: (method, pathPrefix) => calls.filter((c) => c.method === method && c.path.startsWith(pathPrefix)).length,
  };
}

import http from 'node:http';

/** Latencies of an open-loop, evenly paced run (one request every 1/rate s, whatever is in flight). */
export interface PacedResult {
  rate: number;
  sent: number;
  statusCodes: Record<string, number>;
  /** Of 2xx answers, µs. */
  p50Us: number;
  p99Us: number;
}

/**
 * Password logins at `rate` per second, one every 1000/rate ms, each on its own request whatever
 * is still in flight (open loop), rotating over `users` (issue 18's "p99 at half the peak rate").
 * autocannon's rate mode is no good for this: each connection spends its per-second budget back
 * to back when its one-second interval resets, so 20 connections send ~20 logins at one instant
 * every second and the p99 measures that burst queueing behind one hashing slot, not a login.
 */
export async function measurePacedLogins(opts: {
  url: string; org: string; password: string; users: string[]; rate: number; durationSec: number;
  /** Sent before the measured ones, at the same pace, and not counted (new sockets, JIT). */
  warmupSec?: number;
}): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL('/cloudapi/1.0.0/sessions', opts.url);
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const intervalMs = 1000 / opts.rate;
  const warmup = Math.round(opts.rate * (opts.warmupSec ?? 1));
  const total = warmup + Math.max(1, Math.round(opts.rate * opts.durationSec));
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const user = opts.users[i % opts.users.length]!;
    const authorization = `Basic ${Buffer.from(`${user}@${opts.org}:${opts.password}`).toString('base64')}`;
    const sentAt = performance.now();
    const measured = i >= warmup;
    inFlight.push(new Promise<void>((resolve) => {
      const req = http.request(target, { method: 'POST', agent, headers: { authorization, accept: 'application/json;version=37.0' } }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = String(res.statusCode ?? 0);
          if (measured) {
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            if (status.startsWith('2')) latencies.push((performance.now() - sentAt) * 1000);
          }
          resolve();
        });
      });
      req.on('error', () => { if (measured) statusCodes.error = (statusCodes.error ?? 0) + 1; resolve(); });
      req.end();
    }));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { rate: opts.rate, sent: total - warmup, statusCodes, p50Us: at(0.5), p99Us: at(0.99) };
}

/** What the load generator process is asked to do (written as JSON by load.ts, read by the worker). */
export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Requests per second across all connections (autocannon `overallRate`); unset = as fast as possible. */
  overallRate?: number;
  /** Rotates part of each request over many values, so every request uses a different credential. */
  rotate?:
    | { kind: 'body'; values: string[] }
    | { kind: 'header'; name: string; values: string[] }
    | { kind: 'totpLogin'; org: string; password: string; users: { username: string; secret: string }[] }
    /** Password-only logins (HTTP Basic `user@org:password`), rotating over the users. */
    | { kind: 'basicLogin'; org: string; password: string; users: string[] };
}

export interface LoadResult {
  /** 2xx responses per second over the measured run. */
  okPerSec: number;
  /** All responses per second (any status). */
  responsesPerSec: number;
  durationSec: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Latency of 2xx responses, microseconds, exact (not the 1 ms buckets of autocannon's histogram). */
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Responses during the warm-up run (not part of the figures above). */
  warmupResponses: number;
  /** Filled in by the orchestrator: the server's CPU time per response (warm-up + measured), µs. */
  serverCpuUsPerResponse?: number;
  /** Filled in by the orchestrator: the server's CPU use during the runs, in cores (1 = one core busy). */
  serverCores?: number;
  /** Set when the TOTP rotation ran out of fresh codes (the run would then be invalid). */
  exhausted?: number;
}

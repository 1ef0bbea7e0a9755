import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every OpenDirector metric (issue 19), in one registry of its own (not prom-client's global
 * default, which a library could also write to). The instruments are module-level so hot paths
 * (group commit, fsync, the token endpoint) record with one call and no plumbing; a process
 * runs one server, and tests compare values before and after an action.
 *
 * Only the management listener (OPENDIRECTOR_MANAGEMENT_PORT) serves them; the per-request
 * HTTP hook is registered only when that listener is configured (http-metrics.ts).
 */
export const metricsRegistry = new Registry();
let processMetrics = false;

/**
 * Process CPU, memory, heap, GC, event-loop delay and open descriptors (`opendirector_process_*`,
 * `opendirector_nodejs_*`): started with the management listener only, so CLI commands and
 * servers without one run no event-loop monitor or GC observer.
 */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'opendirector_' });
}

const registers = [metricsRegistry];

export const httpRequests = new Counter({
  name: 'opendirector_http_requests_total',
  help: 'HTTP requests answered, by method, route template (unmatched for unknown paths) and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers,
});

export const httpRequestDuration = new Histogram({
  name: 'opendirector_http_request_duration_seconds',
  help: 'Time from receiving a request to its response being sent, by method and route template.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

export const grants = new Counter({
  name: 'opendirector_oauth_grants_total',
  help: 'Token endpoint requests (/oauth/.../token) by outcome: success or the error code (docs/errors.md).',
  labelNames: ['outcome'] as const,
  registers,
});

export const logins = new Counter({
  name: 'opendirector_logins_total',
  help: 'Interactive logins (CloudAPI sessions and /api/sessions) by outcome: success or the error code (docs/errors.md).',
  labelNames: ['outcome'] as const,
  registers,
});

export const rateLimitRefusals = new Counter({
  name: 'opendirector_rate_limit_refusals_total',
  help: 'Requests refused with 429 by the failed-credential rate limiter, by route id.',
  labelNames: ['route'] as const,
  registers,
});

export const lockOuts = new Counter({
  name: 'opendirector_account_lockouts_total',
  help: 'Accounts locked after too many wrong second-factor codes (audit event user.locked).',
  registers,
});

export const auditEvents = new Counter({
  name: 'opendirector_audit_events_total',
  help: 'Audit events written, by event key (docs/audit-events.md) and status.',
  labelNames: ['event', 'status'] as const,
  registers,
});

export const groupCommitBatchSize = new Histogram({
  name: 'opendirector_audit_group_commit_batch_size',
  help: 'Audit events committed per group-commit transaction (src/audit/group-commit.ts).',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers,
});

export const walFsyncDuration = new Histogram({
  name: 'opendirector_sqlite_wal_fsync_duration_seconds',
  help: 'Duration of each fdatasync of the SQLite WAL file (embedded database only).',
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers,
});

export const cellNotificationLag = new Histogram({
  name: 'opendirector_cell_notification_lag_seconds',
  help: 'Time from a NOTIFY sent by this cell to its delivery on the LISTEN connection (heartbeat probe, PostgreSQL only).',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  registers,
});

export const cellNotificationsLive = new Gauge({
  name: 'opendirector_cell_notifications_live',
  help: '1 while this cell receives other cells\' announcements (always 1 on SQLite), 0 during an outage.',
  registers,
});
cellNotificationsLive.set(1);

/** Pools of the servers running in this process (one in production), read at scrape time. */
const pools = new Set<pg.Pool>();

export function watchPostgresPool(pool: pg.Pool): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

/** Summed over the watched pools; collect() runs only when /metrics is scraped. */
function poolSum(read: (pool: pg.Pool) => number): number {
  let n = 0;
  for (const p of pools) n += read(p);
  return n;
}

new Gauge({
  name: 'opendirector_db_pool_connections',
  help: 'PostgreSQL pool connections by state: total (open), idle, waiting (requests queued for a connection), max.',
  labelNames: ['state'] as const,
  registers,
  collect() {
    this.set({ state: 'total' }, poolSum((p) => p.totalCount));
    this.set({ state: 'idle' }, poolSum((p) => p.idleCount));
    this.set({ state: 'waiting' }, poolSum((p) => p.waitingCount));
    this.set({ state: 'max' }, poolSum((p) => p.options.max ?? 10));
  },
});

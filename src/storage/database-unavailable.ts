/**
 * Recognises the errors that mean "the database cannot be reached right now" — PostgreSQL stopped,
 * restarting, failing over, out of connection slots, or a network that does not answer; SQLite
 * locked by another process for longer than its busy timeout — as opposed to everything else a
 * query can fail with.
 *
 * Why: during an outage a request is not wrong and the server has no bug; the right answer is
 * 503 with Retry-After, which load balancers and clients retry on (src/api/http/respond.ts).
 * Query errors, constraint violations and bugs must stay 500, so only connection-level failures
 * are listed, by code where the driver gives one, by pg's own wording where it gives none.
 */

/** SQLSTATEs of a server that refuses or drops the connection (class 08 is matched as a class). */
const PG_UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: `pg_ctl stop -m fast`, a failover, pg_terminate_backend
  '57P02', // crash_shutdown: another backend crashed, the server restarts
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);

/** Socket errors of connecting to (or talking with) a host that is down or unreachable. */
const SOCKET_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
  'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
]);

/**
 * pg's own errors carry no code: a connection that ended under a query, the pool's and client's
 * connection timeouts (connectionTimeoutMillis), and a client used after its connection failed.
 */
const PG_UNAVAILABLE_MESSAGES = [
  /^Connection terminated( unexpectedly)?$/,
  /^Client has encountered a connection error and is not queryable$/,
];

/** pg's connection timeouts (connectionTimeoutMillis): the pool's, the client's, the connect's. */
const PG_CONNECT_TIMEOUT = /^(Connection terminated due to connection timeout|timeout exceeded when trying to connect|timeout expired)$/;

/** True when `err` is one of pg's connection timeouts: the host never answered in time. */
export function isPgConnectTimeout(err: unknown): boolean {
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof message === 'string' && PG_CONNECT_TIMEOUT.test(message);
}

/** better-sqlite3: the busy timeout ran out (SQLITE_BUSY and its extended codes). */
const SQLITE_BUSY = /^SQLITE_BUSY(_[A-Z]+)?$/;

/** How deep to look through `cause` chains (pg-pool wraps its timeout's cause). */
const MAX_CAUSE_DEPTH = 4;

/** True when `err` (or what it wraps) says the database is unreachable or busy, not that a query is wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof e === 'object' && e !== null; depth++) {
    const { code, message, errors, cause } = e as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (PG_UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
      if (SOCKET_UNAVAILABLE_CODES.has(code) || SQLITE_BUSY.test(code)) return true;
    } else if (typeof message === 'string' && (PG_CONNECT_TIMEOUT.test(message) || PG_UNAVAILABLE_MESSAGES.some((m) => m.test(message)))) {
      return true;
    }
    // Node's happy-eyeballs connect (a name with IPv4 and IPv6 addresses) fails with an AggregateError.
    if (Array.isArray(errors) && errors.length > 0 && errors.every((x) => isDatabaseUnavailable(x))) return true;
    e = cause;
  }
  return false;
}

/**
 * One line about a database error for the logs: its message and code, no stack. pg's messages
 * name hosts, users and databases, never a password.
 */
export function describeDatabaseError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { code, message } = err as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(err);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

import type { FastifyReply } from 'fastify';
import { AppError, isAppError } from '../../errors/app-error.ts';
import { contentTypeForErrors, renderError, type ApiFamily } from '../../errors/render.ts';
import { duplicateNameErrorOf } from './duplicate-name-error.ts';
import { describeDatabaseError, isDatabaseUnavailable } from '../../storage/database-unavailable.ts';
import type { HandlerResult } from './route.ts';
import { DEFAULT_VERSION } from './versions.ts';

/** The family of a path: decides the error shape for unknown routes and parse failures. */
export function familyOfPath(url: string): ApiFamily | 'portal' {
  if (url.startsWith('/api/') || url === '/api') return 'xml';
  if (url.startsWith('/cloudapi')) return 'cloudapi';
  // RFC 8414 metadata lives outside /oauth (its well-known segment comes first) but is OAuth's.
  if (url.startsWith('/oauth') || url.startsWith('/.well-known/oauth-authorization-server')) return 'oauth';
  return 'portal';
}

export function sendResult(reply: FastifyReply, family: ApiFamily, version: string, result: HandlerResult): FastifyReply {
  reply.code(result.status ?? 200);
  if (result.headers) for (const [k, v] of Object.entries(result.headers)) reply.header(k, v);
  if (result.body === undefined) return reply.send();
  if (typeof result.body === 'string') {
    reply.header('content-type', result.contentType ?? `application/xml;version=${version}`);
    return reply.send(result.body);
  }
  reply.header('content-type', result.contentType ?? (family === 'oauth' ? 'application/json' : `application/json;version=${version}`));
  return reply.send(jsonPayload(JSON.stringify(result.body)));
}

/**
 * JSON text as the bytes to send. Fastify re-serialises the Content-Type of a JSON *string*
 * payload (5.12: `application/json;version=37.0` becomes `application/json; version="37.0";
 * charset=utf-8`) and appends a charset; a Buffer is sent with the header exactly as set, which is
 * what the wire spec (§1.4: `application/json;version=37.0`; §6: `application/json`) shows. JSON
 * is UTF-8 by definition (RFC 8259 §8.1), so the charset parameter adds nothing.
 */
function jsonPayload(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Seconds a client or balancer should wait before retrying while the database is unavailable. */
export const DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The 503 for a database that cannot be reached (PostgreSQL stopped, failing over, out of
 * connections, a network that drops packets; SQLite locked by another process beyond its busy
 * timeout): the request was fine and may be retried shortly, which is what 503 + Retry-After
 * tells load balancers and clients. Every other database error stays a 500.
 */
function databaseUnavailableErrorOf(err: unknown): AppError | undefined {
  if (!isDatabaseUnavailable(err)) return undefined;
  return new AppError('SERVICE_UNAVAILABLE', {
    message: 'The database is unavailable. Try again shortly.',
    detail: `database unavailable: ${describeDatabaseError(err)}`,
    headers: { 'Retry-After': String(DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS) },
    cause: err,
  });
}

/**
 * Renders any thrown value as the family's error. A name-uniqueness violation from the database
 * (a lost create race) is DUPLICATE_NAME, as when the service saw the clash itself; a database
 * that cannot be reached is a 503; any other non-AppError becomes a generic 500.
 */
export function sendError(reply: FastifyReply, family: ApiFamily, err: unknown, requestId: string, version = DEFAULT_VERSION): FastifyReply {
  const unavailable = isAppError(err) ? undefined : databaseUnavailableErrorOf(err);
  const appError = isAppError(err) ? err : duplicateNameErrorOf(err) ?? unavailable ?? new AppError('INTERNAL', { cause: err });
  if (unavailable) {
    // Not a bug, and one per request during an outage: one line, the stack only at log level debug.
    const withStack = reply.log.level === 'debug' || reply.log.level === 'trace' ? { err } : {};
    reply.log.warn({ requestId, detail: unavailable.detail, ...withStack }, 'request failed: database unavailable');
  } else if (appError.status >= 500) {
    reply.log.error({ err, requestId }, 'request failed');
  } else {
    // Why a request was refused, for operators; never the cause (a JSON parse error quotes the body).
    reply.log.debug({ requestId, code: appError.code, detail: appError.detail }, 'request refused');
  }
  if (appError.headers) for (const [k, v] of Object.entries(appError.headers)) reply.header(k, v);
  if (appError.status === 401 && family === 'xml') reply.header('www-authenticate', 'Bearer realm="vcloud"');
  const body = renderError(family, appError, requestId);
  return reply
    .code(appError.status)
    .header('content-type', contentTypeForErrors(family, version))
    .send(family === 'xml' ? body : jsonPayload(body));
}

import { randomUUID } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../../errors/app-error.ts';
import { parseXmlBody } from './xml.ts';
import { familyOfPath, sendError } from './respond.ts';
import { RouteMethods } from './route-methods.ts';

/** Explicit size limits (issue 8): bodies, headers and URLs. */
export const BODY_LIMIT_BYTES = 256 * 1024;
export const HEADER_LIMIT_BYTES = 16 * 1024;

const CLIENT_REQUEST_ID = /^[A-Za-z0-9-]+$/;

/**
 * Spec §1.4: X-VMWARE-VCLOUD-REQUEST-ID is the client's X-VMWARE-VCLOUD-CLIENT-REQUEST-ID
 * (alphanumerics and dashes, first 128 characters) + "-" + a fresh UUID, else just a UUID.
 */
function requestIdFor(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  const clientId = v?.slice(0, 128);
  return clientId && CLIENT_REQUEST_ID.test(clientId) ? `${clientId}-${randomUUID()}` : randomUUID();
}

/** Creates the Fastify instance with OpenDirector's parsers, hooks and error handling. */
export function createHttpApp(opts: {
  logger: Logger;
  https?: { cert: Buffer; key: Buffer };
  /** Validated entries of OPENDIRECTOR_TRUSTED_PROXIES (addresses, CIDR ranges, proxy-addr keywords). */
  trustedProxies?: readonly string[];
}): FastifyInstance {
  const options: FastifyServerOptions & { https?: { cert: Buffer; key: Buffer } } = {
    loggerInstance: opts.logger,
    // No per-request log lines (request ids are in the error lines themselves, respond.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // req.ip (rate-limit keys, audit clientIpAddress, token lastUsedIp) is the socket address,
    // or with trusted proxies the right-most X-Forwarded-For entry not sent by one of them
    // (proxy-addr walks from the socket leftwards while the hop is trusted): what lies further
    // left is whatever the client wrote. With trust set Fastify also believes X-Forwarded-Host
    // and -Proto from those hops; nothing reads request.host/protocol (hrefs come from publicUrl).
    trustProxy: opts.trustedProxies && opts.trustedProxies.length > 0 ? [...opts.trustedProxies] : false,
    genReqId: (req) => requestIdFor(req.headers['x-vmware-vcloud-client-request-id']),
    // A path that is not valid percent-encoded UTF-8 (`/api/vApp/%E0%80%80`) fails before any
    // route or hook: answer it in the family's error shape too, not Fastify's own (issue 8).
    frameworkErrors: (error, req, reply) => {
      const family = familyOfPath(req.url);
      reply.header('X-VMWARE-VCLOUD-REQUEST-ID', String(req.id));
      // Neither onRequest nor onSend runs on this path; seed 001 wants the header on every response.
      reply.header('X-VMWARE-VCLOUD-REQUEST-EXECUTION-TIME', '0');
      return sendError(reply, family === 'portal' ? 'cloudapi' : family, new AppError('BAD_REQUEST', { message: 'The request path is not valid.', cause: error }), String(req.id));
    },
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      maxParamLength: 512,
      // Duplicate parameters stay arrays so the token endpoint can refuse them (RFC 6749 §3.2).
      querystringParser: (s: string) => parseQueryString(s) as Record<string, string | string[]>,
    },
  };
  if (opts.https) options.https = opts.https;
  const app = Fastify({ ...options, http: { maxHeaderSize: HEADER_LIMIT_BYTES } } as FastifyServerOptions) as unknown as FastifyInstance;

  // No per-request child logger (issue 7: pino's child(), with redaction, costs more per request
  // than the session lookup). Request log lines carry the request id themselves (respond.ts).
  app.setChildLoggerFactory((logger) => logger);
  app.removeAllContentTypeParsers();
  const jsonParser = (req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    (req as { rawBodyText?: string }).rawBodyText = String(body);
    if (String(body).trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(String(body)) as unknown);
    } catch (cause) {
      done(new AppError('MALFORMED_BODY', { message: 'The JSON body is not well formed.', cause }), undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: 'string' }, jsonParser);
  const xmlParser = (req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    (req as { rawBodyText?: string }).rawBodyText = String(body);
    if (String(body).trim() === '') return done(null, undefined);
    try {
      done(null, parseXmlBody(String(body)));
    } catch (err) {
      done(err as Error, undefined);
    }
  };
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, xmlParser);
  app.addContentTypeParser(/^application\/[\w.+-]*\+xml$/, { parseAs: 'string' }, xmlParser);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    (req as { rawBodyText?: string }).rawBodyText = String(body);
    done(null, parseQueryString(String(body)));
  });
  // Anything else (including a body with no Content-Type, as Go v2.14–v2.20 sends to the token
  // endpoint, spec §4.3) is kept as text; routes decide what they accept.
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    (req as { rawBodyText?: string }).rawBodyText = String(body);
    done(null, undefined);
  });

  // RFC 6797: once a browser has seen this over TLS it never tries plain HTTP for a year (issue 8).
  const hsts = opts.https !== undefined;
  // Callback-style hooks: an async hook costs a promise and a microtask hop per request (issue 7).
  app.addHook('onRequest', (req, reply, done) => {
    (req as { startedAt?: bigint }).startedAt = process.hrtime.bigint();
    reply.header('X-VMWARE-VCLOUD-REQUEST-ID', String(req.id));
    if (hsts) reply.header('Strict-Transport-Security', 'max-age=31536000');
    done();
  });
  // An access log at debug level only (the hook is not even registered otherwise, so the hot path
  // pays nothing). The `req` serializer (server.ts) keeps id, method and the path without its query.
  if (opts.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', async (req, reply) => {
      req.log.debug({ req, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) }, 'request completed');
    });
  }
  app.addHook('onSend', (req, reply, payload, done) => {
    const started = (req as { startedAt?: bigint }).startedAt;
    if (started !== undefined) {
      reply.header('X-VMWARE-VCLOUD-REQUEST-EXECUTION-TIME', String(Number((process.hrtime.bigint() - started) / 1_000_000n)));
    }
    done(null, payload);
  });

  app.setErrorHandler((error, req, reply) => {
    const family = familyOfPath(req.url);
    return sendError(reply, family === 'portal' ? 'cloudapi' : family, toAppError(error), String(req.id));
  });
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url ?? route.path));
  app.setNotFoundHandler((req, reply) => {
    // No page fallback (issue 15 §4): the portal's pages are routes of their own (web/serve-portal.ts),
    // so an unknown path — `/.well-known/…` included — is a 404 in its family's shape, and
    // whatever is registered as a route, now or later, always answers instead.
    const family = familyOfPath(req.url);
    const allowed = routeMethods.methodsFor(req.url);
    if (allowed.length > 0) {
      reply.header('Allow', allowed.join(', '));
      return sendError(reply, family === 'portal' ? 'cloudapi' : family, new AppError('METHOD_NOT_ALLOWED'), String(req.id));
    }
    return sendError(reply, family === 'portal' ? 'cloudapi' : family, new AppError('NOT_FOUND'), String(req.id));
  });
  return app;
}

/** Maps Fastify's own errors (parsing, limits, media types) onto the catalogue. */
function toAppError(error: unknown): AppError | unknown {
  if (isAppError(error)) return error;
  const e = error as { code?: string; statusCode?: number };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new AppError('PAYLOAD_TOO_LARGE', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new AppError('UNSUPPORTED_MEDIA_TYPE', { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new AppError('MALFORMED_BODY', { cause: error });
    default:
      if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
        return new AppError(e.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', { cause: error });
      }
      return error;
  }
}

import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/api/routes.ts';
import { portalSessionRoutes } from '../../src/web/portal-session-routes.ts';
import type { RouteSpec } from '../../src/api/http/route.ts';
import { BODY_LIMIT_BYTES } from '../../src/api/http/create-http-app.ts';
import { startTestServer, ADMIN_PASSWORD, type TestServer } from '../support/test-server.ts';
import { basic, request } from '../support/http-client.ts';
import { createApiToken, exchange, login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import {
  BAD_BASIC, credentialArb, fillPath, headBytes, isOversizedHead, forgedAccessTokens, headerArb, HUGE_HEADER_VALUE, paramArb, queryArb, seededBodies, tokenFormArb,
  type CredentialPool, type HostileRequest,
} from './hostile-input.fixture.ts';

/**
 * Issue 8, hostile input: property-based requests (fast-check) over every route of the table —
 * malformed, oversized and deep bodies, wrong and missing media types, duplicate and empty
 * parameters, invalid UTF-8, control characters, huge headers, XML with DTDs and entities, bad
 * FIQL, bad URNs, bad Basic headers, forged JWTs (alg none, wrong key, expired, future iat,
 * flipped characters) — plus a deterministic sweep of every hand-seeded case over every route.
 * Properties: no 5xx; every error in its API family's shape (CloudAPI JSON, XML Error, OAuth
 * JSON); no stack trace in any body; the server still answers afterwards.
 *
 * One server, keep-alive connections, 8 requests in flight.
 */

const ROUTES: readonly RouteSpec[] = [...allRoutes, ...portalSessionRoutes];
/** Routes that end the session they are called with: never sent a real credential here. */
const SESSION_ENDING = new Set(['xml.logout', 'sessions.logoutCurrent', 'sessions.logoutGo', 'sessions.logoutGoProvider']);
const CONCURRENCY = 8;
const PROPERTY_BATCHES = 1250; // × CONCURRENCY = 10,000 generated requests
const STACK_TRACE = /\n\s+at \S|node_modules|\.ts:\d+:\d+|\bat (?:async )?[\w.<>]+ \(/;

let t: TestServer;
let pool: CredentialPool;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const stats = { tried: 0, status5xx: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  t = await startTestServer({ rateLimitPerMinute: 100_000 });
  const db = t.server.services.db;
  const acme = await createTenant(db, 'acme', { anna: 'Organization Administrator', uma: 'vApp User' });
  await publishTokenRightsBundle(db, acme.orgId);
  // A sacrificial tenant whose real ids the generators use: writes to it may succeed.
  const victim = await createTenant(db, 'victim', { vic: 'Organization Administrator', val: 'vApp User' });
  const victimRole = await db.selectFrom('roles').select('id').where('org_id', '=', victim.orgId).executeTakeFirstOrThrow();
  const provider = await loginAdmin(t.url);
  const anna = await login(t.url, 'anna', 'acme', TENANT_PASSWORD);
  const uma = await login(t.url, 'uma', 'acme', TENANT_PASSWORD);
  const apiToken = await createApiToken(t.url, uma, 'acme', 'hostile');
  const tokenSession = await exchange(t.url, 'acme', apiToken.token);
  const legacy = await request(t.url, 'POST', '/api/sessions', { headers: { authorization: basic('administrator', 'System', ADMIN_PASSWORD), accept: 'application/*+xml;version=36.0' } });
  const claims = JSON.parse(Buffer.from(provider.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; iss: string; jti: string };
  pool = {
    valid: [provider, anna, uma, tokenSession],
    legacy: [legacy.headers.get('x-vcloud-authorization') as string],
    key: t.server.services.keys.signingKey(),
    claims,
    apiToken: apiToken.token,
    realIds: [victim.orgId, ...Object.values(victim.userIds), victimRole.id, acme.orgId, apiToken.id],
  };
}, 60_000);
afterAll(async () => {
  agent.destroy();
  await t?.close();
});

interface Answer { status: number; headers: http.IncomingHttpHeaders; text: string }

/** Status 0: the server closed the connection without an answer (only allowed for huge headers). */
function send(req: HostileRequest): Promise<Answer> {
  // Oversized heads (431 from Node's parser) and bodies (413) may be refused while the request is
  // still being written, and the connection then closed: they get a connection of their own, and
  // a reset counts as a refusal.
  const huge = isOversizedHead(req) || (req.body?.length ?? 0) > BODY_LIMIT_BYTES;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = http.request(`${t.url}${req.path}`, { method: req.method, headers, agent: huge ? false : agent, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error('no answer within 20 s')));
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (huge && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) resolve({ status: 0, headers: {}, text: '' });
      else reject(e);
    });
    r.end(req.body);
  });
}

/** The error shape of the family a path belongs to (src/api/http/respond.ts familyOfPath). */
function shapeProblem(path: string, a: Answer): string | null {
  const type = String(a.headers['content-type'] ?? '');
  if (path.startsWith('/api/') || path === '/api') {
    if (!type.startsWith('application/vnd.vmware.vcloud.error+xml')) return `XML family error with content-type ${type}`;
    return /^<\?xml [^>]*\?>\n<Error xmlns="http:\/\/www\.vmware\.com\/vcloud\/v1\.5" majorErrorCode="\d{3}" minorErrorCode="[A-Za-z_]+" message="[^"]*"\/>$/.test(a.text)
      ? null : `not an XML Error document: ${a.text.slice(0, 300)}`;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(a.text) as Record<string, unknown>;
  } catch {
    return `error body is not JSON: ${a.text.slice(0, 300)}`;
  }
  if (!type.startsWith('application/json')) return `JSON family error with content-type ${type}`;
  const oauthFamily = path.startsWith('/oauth') || path.startsWith('/.well-known/oauth-authorization-server');
  const keys = oauthFamily ? ['minorErrorCode', 'message', 'stackTrace', 'error', 'error_description'] : ['minorErrorCode', 'message', 'stackTrace'];
  if (Object.keys(body).sort().join() !== [...keys].sort().join()) return `error keys ${Object.keys(body).join(',')}: ${a.text.slice(0, 300)}`;
  if (typeof body.minorErrorCode !== 'string' || typeof body.message !== 'string' || body.stackTrace !== null) return `error values: ${a.text.slice(0, 300)}`;
  if (oauthFamily && typeof body.error !== 'string') return `OAuth error without error: ${a.text.slice(0, 300)}`;
  return null;
}

/** Every property of one answer; null when it holds. */
function problemOf(req: HostileRequest, a: Answer): string | null {
  stats.tried++;
  stats.byStatus.set(a.status, (stats.byStatus.get(a.status) ?? 0) + 1);
  if (a.status >= 500) {
    stats.status5xx++;
    return `${a.status}: ${a.text.slice(0, 300)}`;
  }
  if (STACK_TRACE.test(a.text)) return `stack trace in body: ${a.text.slice(0, 300)}`;
  // Headers over HEADER_LIMIT_BYTES never reach the application: Node's parser answers 431.
  if (a.status === 0 && (req.body?.length ?? 0) > BODY_LIMIT_BYTES) return null;
  if (a.status === 431 || a.status === 0) return isOversizedHead(req) ? null : `unexpected ${a.status} for a ${headBytes(req)}-byte head: ${a.text}`;
  if (a.status < 400) return null;
  // The path as sent: the client resolves dot segments (`/oauth/../x` goes out as `/x`).
  return shapeProblem(new URL(req.path, t.url).pathname, a);
}

async function sendAll(reqs: HostileRequest[]): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < reqs.length; i += CONCURRENCY) {
    const batch = reqs.slice(i, i + CONCURRENCY);
    const answers = await Promise.all(batch.map(send));
    answers.forEach((a, j) => {
      const req = batch[j] as HostileRequest;
      const p = problemOf(req, a);
      if (p) problems.push(`${req.method} ${req.path.slice(0, 200)} [${req.label}]: ${p}`);
    });
  }
  return problems;
}

/** Whether a request is a logout (whatever route it was generated from, e.g. GET turned DELETE). */
function endsSession(method: string, path: string): boolean {
  const p = new URL(path, 'http://x').pathname.replace(/\/{2,}/g, '/').replace(/\/$/, '');
  return method === 'DELETE' && /^\/(cloudapi\/1\.0\.0\/sessions(\/current|\/provider)?|api\/session)$/i.test(p);
}

/** A real credential for a route, unless the route would end the session. */
function safeCredential(route: RouteSpec, i: number): Record<string, string> {
  if (SESSION_ENDING.has(route.id)) return { authorization: `Bearer ${forgedAccessTokens(pool)[i % 5] ?? ''}` };
  return { authorization: `Bearer ${pool.valid[i % pool.valid.length] ?? ''}` };
}

function acceptFor(route: RouteSpec): string {
  return route.family === 'xml' ? 'application/*+xml;version=37.0' : route.family === 'oauth' ? 'application/json' : 'application/json;version=37.0';
}

/** A plausible value for each path parameter (so that the body, not the path, is what is tested). */
function plainPath(route: RouteSpec, i: number): string {
  return fillPath(route, [pool.realIds[i % pool.realIds.length] ?? 'x']);
}

describe('hostile input (issue 8)', () => {
  it('answers every hand-seeded hostile body on every route without a 5xx, in the family error shape', async () => {
    const reqs: HostileRequest[] = [];
    for (const [i, route] of ROUTES.entries()) {
      for (const seeded of seededBodies()) {
        reqs.push({
          method: route.method, path: plainPath(route, i), label: `${route.id} ${seeded.label}`, body: seeded.body,
          headers: { ...safeCredential(route, i), accept: acceptFor(route), ...(seeded.contentType ? { 'content-type': seeded.contentType } : {}) },
        });
      }
    }
    const problems = await sendAll(reqs);
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses every forged access token and bad Basic header on every route without a 5xx', async () => {
    const reqs: HostileRequest[] = [];
    for (const route of ROUTES) {
      for (const forged of forgedAccessTokens(pool)) {
        reqs.push({ method: route.method, path: plainPath(route, 0), label: `${route.id} forged token`, headers: { authorization: `Bearer ${forged}`, accept: acceptFor(route) } });
      }
      for (const b of BAD_BASIC.slice(0, route.auth === 'none' ? BAD_BASIC.length : 4)) {
        reqs.push({ method: route.method, path: plainPath(route, 1), label: `${route.id} bad Basic`, headers: { authorization: b, accept: acceptFor(route) } });
      }
      reqs.push({ method: route.method, path: plainPath(route, 2), label: `${route.id} huge header`, headers: { ...safeCredential(route, 2), 'x-padding': HUGE_HEADER_VALUE } });
    }
    const problems = await sendAll(reqs);
    expect(problems).toEqual([]);
    // A forged token never authenticates: every session route refused each one with 401.
    const forgedOnSessionRoute = await sendAll(forgedAccessTokens(pool).map((f) => ({
      method: 'GET', path: '/cloudapi/1.0.0/sessions/current', label: 'forged on sessions/current', headers: { authorization: `Bearer ${f}` },
    })));
    expect(forgedOnSessionRoute).toEqual([]);
    for (const f of forgedAccessTokens(pool)) {
      const res = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { authorization: `Bearer ${f}`, accept: 'application/json;version=37.0' } });
      expect(res.status, f).toBe(401);
    }
  }, 120_000);

  it(`holds for ${PROPERTY_BATCHES * CONCURRENCY} generated requests over every route (fast-check)`, async () => {
    const seeded = seededBodies();
    const routeArb = fc.constantFrom(...ROUTES);
    const jsonBody = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom('name', 'client_name', 'username', 'password', 'values', 'code', 'org', 'vdc', 'vapp', 'roleEntityRefs', 'usersList', 'enabled', 'description', 'oldPassword', 'newPassword', 'fullName', 'isEnabled', 'id', '__proto__'), fc.jsonValue({ maxDepth: 2 })))
      .map((v) => JSON.stringify(v) ?? 'null');
    const contentType = fc.constantFrom(undefined, 'application/json', 'application/json;version=37.0', 'application/vnd.vmware.vcloud.user+json', 'application/xml',
      'application/vnd.vmware.admin.user+xml', 'application/x-www-form-urlencoded', 'text/plain', 'text/html', 'multipart/form-data', 'application/json; charset=latin1', '', 'x');
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom(...seeded).map((s) => ({ contentType: s.contentType, body: s.body, label: s.label })) },
      { weight: 4, arbitrary: fc.tuple(contentType, jsonBody).map(([ct, b]) => ({ contentType: ct, body: Buffer.from(b), label: 'generated JSON' })) },
      { weight: 2, arbitrary: fc.tuple(contentType, fc.string({ unit: 'binary', maxLength: 200 })).map(([ct, b]) => ({ contentType: ct, body: Buffer.from(b), label: 'generated text' })) },
      { weight: 1, arbitrary: fc.tuple(contentType, fc.uint8Array({ maxLength: 200 })).map(([ct, b]) => ({ contentType: ct, body: Buffer.from(b), label: 'generated bytes' })) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 30 }), fc.string({ maxLength: 30 })).map(([tag, text]) => ({
          contentType: 'application/xml', label: 'generated XML',
          body: Buffer.from(`<User xmlns="http://www.vmware.com/vcloud/v1.5" name="${text.replace(/[<&"]/g, '')}"><${tag || 'x'}>${text}</${tag || 'x'}></User>`),
        })),
      },
    );
    const requestArb = fc.record({
      route: routeArb,
      params: fc.array(paramArb(pool), { minLength: 1, maxLength: 3 }),
      query: queryArb(),
      headers: headerArb(),
      creds: credentialArb(pool),
      body,
      tokenForm: tokenFormArb(pool),
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') }),
      huge: fc.oneof({ weight: 40, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }).map((g): HostileRequest => {
      const isTokenEndpoint = g.route.id === 'oauth.tokenProvider' || g.route.id === 'oauth.tokenTenant';
      const method = g.method ?? g.route.method;
      const path = fillPath(g.route, g.params) + g.query;
      // A logout with a real credential would end the session later requests rely on.
      const creds = endsSession(method, path) ? {} : g.creds;
      const headers: Record<string, string> = { ...g.headers, ...creds };
      let payload = g.body;
      if (isTokenEndpoint && (payload === undefined || payload.label === 'generated JSON')) {
        payload = { contentType: 'application/x-www-form-urlencoded', body: Buffer.from(g.tokenForm), label: 'token form' };
      }
      if (payload?.contentType) headers['content-type'] = payload.contentType;
      if (g.huge) headers['x-padding'] = HUGE_HEADER_VALUE;
      return {
        method,
        path,
        headers,
        ...(payload ? { body: payload.body } : {}),
        label: `${g.route.id}${payload ? ` ${payload.label}` : ''}${g.huge ? ' huge header' : ''}`,
      };
    });
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
        const problems = await sendAll(batch);
        if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      { numRuns: PROPERTY_BATCHES, endOnFailure: true },
    );
  }, 240_000);

  it('still answers after all of it, and reports what it tried', async () => {
    const res = await request(t.url, 'GET', '/api/versions');
    expect(res.status).toBe(200);
    const live = await request(t.url, 'GET', '/cloudapi/1.0.0/sessions/current', { headers: { authorization: `Bearer ${pool.valid[0] ?? ''}`, accept: 'application/json;version=37.0' } });
    expect(live.status).toBe(200);
    const statuses = [...stats.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    console.info(`hostile input: ${stats.tried} requests tried, ${stats.status5xx} answered 5xx; statuses ${statuses}`);
    expect(stats.status5xx).toBe(0);
    expect(stats.tried).toBeGreaterThanOrEqual(PROPERTY_BATCHES * CONCURRENCY);
  });
});

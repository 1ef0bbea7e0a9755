import http from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/api/http/create-http-app.ts';
import { AUDIT_EVENTS, type AuditEventKey } from '../../src/audit/events.ts';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { basic } from '../support/http-client.ts';
import { createApiToken, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';

/**
 * OPENDIRECTOR_TRUSTED_PROXIES: which peers may name the client address in X-Forwarded-For.
 * The address matters for the per-address failed-login limit (`login-ip:<ip>`), the
 * token-endpoint limit and the audit trail's `currentContext.user.clientIpAddress`.
 *
 * The test client is the "proxy": it connects from 127.0.0.1 (or, bound with localAddress, from
 * another 127.0.0.N, which on Linux is loopback too) and writes X-Forwarded-For itself.
 */

interface Answer { status: number; text: string }

function send(url: string, path: string, opts: { from?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.body;
    const req = http.request(`${url}${path}`, {
      method: 'POST', agent: false, ...(opts.from ? { localAddress: opts.from } : {}),
      headers: { ...opts.headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** A tenant login through the real endpoint, optionally "forwarded for" someone. */
function loginVia(url: string, user: string, password: string, opts: { from?: string; forwardedFor?: string } = {}): Promise<Answer> {
  return send(url, '/cloudapi/1.0.0/sessions', {
    ...(opts.from ? { from: opts.from } : {}),
    headers: {
      authorization: basic(user, 'acme', password), accept: 'application/json;version=37.0',
      ...(opts.forwardedFor !== undefined ? { 'x-forwarded-for': opts.forwardedFor } : {}),
    },
  });
}

/** `currentContext.user.clientIpAddress` of every `event` whose user name is `userName`, oldest first. */
async function auditedClientIps(t: TestServer, event: AuditEventKey, userName: string): Promise<Array<string | undefined>> {
  const rows = await t.server.services.db.selectFrom('audit_events').select('additional_properties')
    .where('event_type', '=', AUDIT_EVENTS[event]).where('user_name', '=', userName).orderBy('seq').execute();
  return rows.map((r) => (JSON.parse(r.additional_properties) as Record<string, string>)['currentContext.user.clientIpAddress']);
}

const RATE_LIMIT = 2;

describe('without OPENDIRECTOR_TRUSTED_PROXIES, X-Forwarded-For is ignored', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ rateLimitPerMinute: RATE_LIMIT });
    await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('audits a login with the socket address 127.0.0.1, not the address the client claims', async () => {
    const res = await loginVia(t.url, 'alice', TENANT_PASSWORD, { forwardedFor: '203.0.113.7' });
    expect(res.status, res.text).toBe(200);
    expect(await auditedClientIps(t, 'session.logged_in', 'alice')).toEqual(['127.0.0.1']);
  });

  it('keeps limiting an address that sends a different X-Forwarded-For with every failed login', async () => {
    expect((await loginVia(t.url, 'ghost-1', 'guess', { from: '127.0.0.2', forwardedFor: '203.0.113.1' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-2', 'guess', { from: '127.0.0.2', forwardedFor: '203.0.113.2' })).status).toBe(401);
    const third = await loginVia(t.url, 'ghost-3', 'guess', { from: '127.0.0.2', forwardedFor: '203.0.113.3' });
    expect(third.status, third.text).toBe(429);
    expect(JSON.parse(third.text)).toMatchObject({ minorErrorCode: 'TOO_MANY_REQUESTS' });
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-1')).toEqual(['127.0.0.2']);
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-2')).toEqual(['127.0.0.2']);
    // Refused before the password check: no failure event for the third attempt.
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-3')).toEqual([]);
  });
});

describe('with trustedProxies: [127.0.0.1], the client is the forwarded address', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ rateLimitPerMinute: RATE_LIMIT, trustedProxies: ['127.0.0.1'] });
    await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator', bob: 'Organization Administrator', carol: 'Organization Administrator' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('audits a login forwarded by the proxy with the forwarded client address', async () => {
    const res = await loginVia(t.url, 'alice', TENANT_PASSWORD, { forwardedFor: '203.0.113.7' });
    expect(res.status, res.text).toBe(200);
    expect(await auditedClientIps(t, 'session.logged_in', 'alice')).toEqual(['203.0.113.7']);
  });

  it('limits failed logins per forwarded address, so one abuser does not lock out the other clients of the proxy', async () => {
    expect((await loginVia(t.url, 'ghost-a1', 'guess', { forwardedFor: '198.51.100.20' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-a2', 'guess', { forwardedFor: '198.51.100.20' })).status).toBe(401);
    const limited = await loginVia(t.url, 'ghost-a3', 'guess', { forwardedFor: '198.51.100.20' });
    expect(limited.status, limited.text).toBe(429);
    expect(JSON.parse(limited.text)).toMatchObject({ minorErrorCode: 'TOO_MANY_REQUESTS' });
    // Another client behind the same proxy: its own failure counts against its own address ...
    expect((await loginVia(t.url, 'ghost-b1', 'guess', { forwardedFor: '198.51.100.21' })).status).toBe(401);
    // ... and a right password still logs in, from it and from the proxy itself.
    expect((await loginVia(t.url, 'bob', TENANT_PASSWORD, { forwardedFor: '198.51.100.21' })).status).toBe(200);
    expect((await loginVia(t.url, 'bob', TENANT_PASSWORD)).status).toBe(200);
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-a1')).toEqual(['198.51.100.20']);
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-b1')).toEqual(['198.51.100.21']);
    expect(await auditedClientIps(t, 'session.logged_in', 'bob')).toEqual(['198.51.100.21', '127.0.0.1']);
  });

  it('takes the right-most entry the proxy appended; what the client wrote further left is ignored', async () => {
    const res = await loginVia(t.url, 'carol', TENANT_PASSWORD, { forwardedFor: '198.51.100.1, 203.0.113.7' });
    expect(res.status, res.text).toBe(200);
    expect(await auditedClientIps(t, 'session.logged_in', 'carol')).toEqual(['203.0.113.7']);
    // Varying the client-written part does not make a fresh address for the limiter either.
    expect((await loginVia(t.url, 'ghost-c1', 'guess', { forwardedFor: '192.0.2.1, 203.0.113.50' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-c2', 'guess', { forwardedFor: '192.0.2.2, 203.0.113.50' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-c3', 'guess', { forwardedFor: '192.0.2.3, 203.0.113.50' })).status).toBe(429);
  });

  it('drops a port the proxy wrote after the client address, so new client ports do not dodge the limit', async () => {
    expect((await loginVia(t.url, 'ghost-p1', 'guess', { forwardedFor: '203.0.113.60:50001' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-p2', 'guess', { forwardedFor: '203.0.113.60:50002' })).status).toBe(401);
    expect((await loginVia(t.url, 'ghost-p3', 'guess', { forwardedFor: '203.0.113.60:50003' })).status).toBe(429);
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-p1')).toEqual(['203.0.113.60']);
  });

  it('ignores X-Forwarded-For from a peer that is not in the list', async () => {
    // 127.0.0.3 is loopback but not 127.0.0.1, the one trusted address.
    expect((await loginVia(t.url, 'ghost-d1', 'guess', { from: '127.0.0.3', forwardedFor: '203.0.113.99' })).status).toBe(401);
    expect(await auditedClientIps(t, 'session.login_failed', 'ghost-d1')).toEqual(['127.0.0.3']);
  });

  it('audits an API token exchange with the forwarded client address', async () => {
    const { token } = await createApiToken(t.url, await loginAdmin(t.url), 'System', 'behind-proxy');
    const res = await send(t.url, '/oauth/provider/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-forwarded-for': '203.0.113.8' },
      body: `grant_type=refresh_token&refresh_token=${token}`,
    });
    expect(res.status, res.text).toBe(200);
    expect(await auditedClientIps(t, 'api_token.refreshed', 'administrator')).toEqual(['203.0.113.8']);
  });
});

describe('with several hops trusted (keyword, IPv4 and IPv6 ranges)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ trustedProxies: ['loopback', '198.51.100.0/24', 'fd00::/8'] });
    await createTenant(t.server.services.db, 'acme', { dave: 'Organization Administrator', erin: 'Organization Administrator' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('walks left past every trusted hop to the first untrusted address', async () => {
    expect((await loginVia(t.url, 'dave', TENANT_PASSWORD, { forwardedFor: '192.0.2.66, 203.0.113.7, 198.51.100.9' })).status).toBe(200);
    expect((await loginVia(t.url, 'erin', TENANT_PASSWORD, { forwardedFor: '2001:db8::66, 2001:db8::7, fd00::1' })).status).toBe(200);
    expect(await auditedClientIps(t, 'session.logged_in', 'dave')).toEqual(['203.0.113.7']);
    expect(await auditedClientIps(t, 'session.logged_in', 'erin')).toEqual(['2001:db8::7']);
  });
});

describe('OPENDIRECTOR_TRUSTED_PROXIES configuration', () => {
  it('defaults to trusting nobody', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: '' }).trustedProxies).toEqual([]);
  });

  it('parses IPv4 and IPv6 addresses, CIDR ranges and the proxy-addr keywords', () => {
    expect(loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: '10.0.0.0/8,192.0.2.10,fd00::/8' }).trustedProxies).toEqual(['10.0.0.0/8', '192.0.2.10', 'fd00::/8']);
    expect(loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: ' loopback , LinkLocal,uniquelocal,2001:DB8::1,::1/128,172.16.0.0/12,10.1.2.3/32' }).trustedProxies)
      .toEqual(['loopback', 'linklocal', 'uniquelocal', '2001:db8::1', '::1/128', '172.16.0.0/12', '10.1.2.3/32']);
    expect(loadConfig({}, { trustedProxies: ['127.0.0.1', 'fd00::/8'] }).trustedProxies).toEqual(['127.0.0.1', 'fd00::/8']);
  });

  it.each([
    ['10.0.0.0/33', 'entry "10.0.0.0/33" is not valid: the prefix length of an IPv4 range must be 1 to 32'],
    ['not-an-ip', 'entry "not-an-ip" is not valid: expected an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'],
    ['fd00::/129', 'entry "fd00::/129" is not valid: the prefix length of an IPv6 range must be 1 to 128'],
    ['0.0.0.0/0', 'entry "0.0.0.0/0" is not valid: the prefix length of an IPv4 range must be 1 to 32'],
    ['10.0.0.0/', 'entry "10.0.0.0/" is not valid: the prefix length of an IPv4 range must be 1 to 32'],
    ['10.0.0.0/8/8', 'entry "10.0.0.0/8/8" is not valid: the prefix length of an IPv4 range must be 1 to 32'],
    ['010.0.0.1', 'entry "010.0.0.1" is not valid: expected an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'],
    ['10.0.0.0/255.0.0.0', 'entry "10.0.0.0/255.0.0.0" is not valid: the prefix length of an IPv4 range must be 1 to 32'],
    ['fe80::1%eth0', 'entry "fe80::1%eth0" is not valid: IPv6 zone ids are not supported'],
    ['10.0.0.1,,10.0.0.2', 'has an empty entry (check for a stray comma)'],
  ])('refuses to start with %s and names the entry', (value, message) => {
    const load = () => loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`Invalid configuration: OPENDIRECTOR_TRUSTED_PROXIES ${message}`);
  });

  it('names every bad entry of a list at once', () => {
    expect(() => loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.0/33,192.0.2.1,not-an-ip' })).toThrow(
      'Invalid configuration: OPENDIRECTOR_TRUSTED_PROXIES entry "10.0.0.0/33" is not valid: the prefix length of an IPv4 range must be 1 to 32; ' +
        'entry "not-an-ip" is not valid: expected an IP address, a CIDR range or one of loopback, linklocal, uniquelocal',
    );
  });

  it('accepts nothing that Fastify would then refuse at start-up', async () => {
    const { trustedProxies } = loadConfig({ OPENDIRECTOR_TRUSTED_PROXIES: 'loopback,linklocal,uniquelocal,10.0.0.0/8,192.0.2.10,192.0.2.0/1,fd00::/8,::1,2001:db8::/128,::ffff:10.0.0.0/104' });
    const app = createHttpApp({ logger: pino({ level: 'silent' }), trustedProxies });
    await app.ready();
    await app.close();
  });
});

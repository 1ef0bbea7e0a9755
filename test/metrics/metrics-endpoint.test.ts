import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { basic, request } from '../support/http-client.ts';
import { engines } from '../support/database-engines.ts';
import { createApiToken, exchange, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';
import { currentTotpCode, newTotpSecret } from '../../src/identity/totp.ts';

/** One sample of the Prometheus text format: `name{a="b",c="d"} value`. */
interface Sample { name: string; labels: Record<string, string>; value: number }

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

async function scrape(t: TestServer): Promise<Sample[]> {
  const res = await request(t.server.managementUrl()!, 'GET', '/metrics');
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseSamples(res.text);
}

const badLogin = (t: TestServer, password: string) => request(t.url, 'POST', '/cloudapi/1.0.0/sessions/provider', {
  headers: { authorization: basic('administrator', 'System', password), accept: 'application/json;version=37.0' },
});

describe.each(engines)('GET /metrics on the management listener on %s (issue 19)', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    // Port 0: a free port, like the public listener's in tests. A low failure limit, so the
    // rate-limit refusals can be provoked (last test: it blocks further failures from loopback).
    t = await startTestServer({ managementPort: 0, rateLimitPerMinute: 3, totpMaxFailures: 2 }, { engine });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('listens on its own loopback port, not the public one', () => {
    const m = new URL(t.server.managementUrl()!);
    expect(m.hostname).toBe('127.0.0.1');
    expect(m.port).not.toBe(new URL(t.url).port);
  });

  it('serves the expected metric families in the Prometheus text format', async () => {
    const res = await request(t.server.managementUrl()!, 'GET', '/metrics');
    for (const name of [
      'opendirector_http_requests_total', 'opendirector_http_request_duration_seconds', 'opendirector_oauth_grants_total',
      'opendirector_logins_total', 'opendirector_rate_limit_refusals_total', 'opendirector_account_lockouts_total',
      'opendirector_audit_events_total', 'opendirector_audit_group_commit_batch_size', 'opendirector_sqlite_wal_fsync_duration_seconds',
      'opendirector_cell_notification_lag_seconds', 'opendirector_cell_notifications_live', 'opendirector_db_pool_connections',
      'opendirector_process_cpu_seconds_total', 'opendirector_nodejs_eventloop_lag_seconds',
    ]) expect(res.text).toContain(`# TYPE ${name} `);
  });

  it('counts logins, grants, requests by route and status, and group-commit batches as they happen', async () => {
    const before = await scrape(t);
    const session = await loginAdmin(t.url);
    const { token } = await createApiToken(t.url, session, 'System', `metrics-${engine}`);
    await exchange(t.url, 'System', token);
    await exchange(t.url, 'System', token);
    const wrong = await request(t.url, 'POST', '/oauth/provider/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=odt_wrong',
    });
    expect(wrong.status).toBe(400);
    const after = await scrape(t);
    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

    expect(delta('opendirector_logins_total', { outcome: 'success' })).toBe(1);
    // The jwt-bearer mint and two refresh grants succeeded; the unknown token did not.
    expect(delta('opendirector_oauth_grants_total', { outcome: 'success' })).toBe(3);
    expect(delta('opendirector_oauth_grants_total', { outcome: 'INVALID_GRANT' })).toBe(1);
    expect(delta('opendirector_http_requests_total', { method: 'POST', route: '/oauth/provider/token', status: '200' })).toBe(3);
    expect(delta('opendirector_http_requests_total', { method: 'POST', route: '/oauth/provider/token', status: '400' })).toBe(1);
    expect(delta('opendirector_http_request_duration_seconds_count', { method: 'POST', route: '/oauth/provider/token' })).toBe(4);
    expect(delta('opendirector_audit_events_total', { event: 'session.logged_in', status: 'SUCCESS' })).toBe(1);
    // Exchanges audit through the group-commit writer: at least one batch, holding at most 2 events.
    expect(delta('opendirector_audit_group_commit_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(delta('opendirector_audit_group_commit_batch_size_sum')).toBeGreaterThanOrEqual(2);
    if (engine === 'sqlite') expect(delta('opendirector_sqlite_wal_fsync_duration_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('labels unknown paths "unmatched" (the label set stays bounded) and route templates, not raw URLs', async () => {
    const before = await scrape(t);
    await request(t.url, 'GET', '/cloudapi/1.0.0/no-such-thing-123');
    await request(t.url, 'GET', '/cloudapi/1.0.0/tokens/urn:vcloud:token:00000000-0000-0000-0000-000000000000');
    const after = await scrape(t);
    expect(valueOf(after, 'opendirector_http_requests_total', { route: 'unmatched', status: '404' }) - valueOf(before, 'opendirector_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(after.some((s) => s.labels.route?.includes('no-such-thing'))).toBe(false);
    expect(after.some((s) => s.labels.route === '/cloudapi/1.0.0/tokens/:id')).toBe(true);
  });

  it('reports the PostgreSQL pool and the notification lag measured by the heartbeat (nothing of either on SQLite)', async () => {
    const samples = await scrape(t);
    expect(valueOf(samples, 'opendirector_cell_notifications_live')).toBe(1);
    if (engine === 'sqlite') {
      expect(valueOf(samples, 'opendirector_db_pool_connections', { state: 'max' })).toBe(0);
      expect(valueOf(samples, 'opendirector_cell_notification_lag_seconds_count')).toBe(0);
      return;
    }
    expect(valueOf(samples, 'opendirector_db_pool_connections', { state: 'max' })).toBeGreaterThan(0);
    // The LISTEN connection holds one of the pool's connections for as long as the server runs.
    expect(valueOf(samples, 'opendirector_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    // The first heartbeat is sent as soon as the LISTEN connection is up: poll for its delivery.
    let lagCount = 0;
    for (let i = 0; i < 100 && lagCount === 0; i++) {
      lagCount = valueOf(await scrape(t), 'opendirector_cell_notification_lag_seconds_count');
      if (lagCount === 0) await new Promise((r) => setImmediate(r));
    }
    expect(lagCount).toBeGreaterThanOrEqual(1);
  });

  it('serves the health probes there too', async () => {
    const live = await request(t.server.managementUrl()!, 'GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await request(t.server.managementUrl()!, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok' });
  });

  it('never serves /metrics on the public port (404, not the portal page)', async () => {
    for (const path of ['/metrics', '/metrics?x=1']) {
      const res = await request(t.url, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('opendirector_');
      expect(res.text).not.toContain('<html');
    }
  });

  it('counts a lock-out after too many wrong second-factor codes, and the logins refused by it', async () => {
    await createTenant(t.server.services.db, 'lockco', { lena: 'vApp User' });
    const secret = newTotpSecret();
    await t.server.services.db.updateTable('users').set({ totp_secret: secret, totp_enabled: 1, totp_last_step: 0, totp_failures: 0 })
      .where('username', '=', 'lena').execute();
    const wrong = currentTotpCode(secret, Date.now() + 100 * 30_000);
    const before = await scrape(t);
    const minors: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await request(t.url, 'POST', '/cloudapi/1.0.0/sessions', {
        headers: { authorization: basic('lena', 'lockco', TENANT_PASSWORD), accept: 'application/json;version=37.0', 'x-opendirector-otp': wrong },
      });
      minors.push(res.json<{ minorErrorCode: string }>().minorErrorCode);
    }
    expect(minors.at(-1)).toBe('ACCOUNT_LOCKED');
    const after = await scrape(t);
    expect(valueOf(after, 'opendirector_account_lockouts_total') - valueOf(before, 'opendirector_account_lockouts_total')).toBe(1);
    expect(valueOf(after, 'opendirector_logins_total', { outcome: 'ACCOUNT_LOCKED' }) - valueOf(before, 'opendirector_logins_total', { outcome: 'ACCOUNT_LOCKED' })).toBe(1);
    expect(valueOf(after, 'opendirector_audit_events_total', { event: 'mfa.code_rejected', status: 'FAILURE' }) - valueOf(before, 'opendirector_audit_events_total', { event: 'mfa.code_rejected', status: 'FAILURE' })).toBe(2);
  });

  it('counts failed logins by outcome and the rate limiter\'s refusals', async () => {
    const before = await scrape(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await badLogin(t, `wrong-${i}`)).status);
    expect(statuses).toContain(429);
    const after = await scrape(t);
    const refused = statuses.filter((s) => s === 429).length;
    expect(valueOf(after, 'opendirector_rate_limit_refusals_total', { route: 'sessions.loginProvider' }) - valueOf(before, 'opendirector_rate_limit_refusals_total', { route: 'sessions.loginProvider' })).toBe(refused);
    expect(valueOf(after, 'opendirector_logins_total', { outcome: 'RATE_LIMITED' }) - valueOf(before, 'opendirector_logins_total', { outcome: 'RATE_LIMITED' })).toBe(refused);
    const failedOutcomes = after.filter((s) => s.name === 'opendirector_logins_total' && s.labels.outcome !== 'success' && s.labels.outcome !== 'RATE_LIMITED');
    expect(failedOutcomes.reduce((n, s) => n + s.value, 0) - before.filter((s) => s.name === 'opendirector_logins_total' && s.labels.outcome !== 'success' && s.labels.outcome !== 'RATE_LIMITED').reduce((n, s) => n + s.value, 0)).toBe(6 - refused);
  });
});

describe('without OPENDIRECTOR_MANAGEMENT_PORT (issue 19)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens no management listener and the public port still answers /metrics with 404', async () => {
    expect(t.server.managementUrl()).toBeUndefined();
    expect((await request(t.url, 'GET', '/metrics')).status).toBe(404);
    // The public probes work as before.
    expect((await request(t.url, 'GET', '/health/live')).status).toBe(200);
  });
});

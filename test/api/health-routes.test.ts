import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { request } from '../support/http-client.ts';
import { engines } from '../support/database-engines.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { migrations } from '../../src/storage/migrations/index.ts';

const READY = { status: 'ok', checks: { database: 'ok', migrations: 'ok', signingKeys: 'ok' } };

describe.each(engines)('health endpoints for load balancers on %s (issue 6)', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    // A limit of 1 failure a minute: probes must never count against it.
    t = await startTestServer({ rateLimitPerMinute: 1 }, { engine });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers live with 200 {"status":"ok"} and no credentials', async () => {
    const res = await request(t.url, 'GET', '/health/live');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers ready with 200 and every check ok once started', async () => {
    const res = await request(t.url, 'GET', '/health/ready', { headers: { accept: '*/*' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json()).toEqual(READY);
  });

  it('is neither rate limited nor audited, however often it is probed', async () => {
    const db = t.server.services.db;
    const count = async () => Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => request(t.url, 'GET', i % 2 ? '/health/ready' : '/health/live').then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(await count()).toBe(before);
  });

  it('answers ready with 503 naming the pending migration while the schema is behind this code', async () => {
    const db = t.server.services.db;
    const last = migrations.at(-1)!.name;
    const applied = await db.selectFrom('schema_migrations' as never).selectAll().where('name' as never, '=', last as never).executeTakeFirstOrThrow();
    await db.deleteFrom('schema_migrations' as never).where('name' as never, '=', last as never).execute();
    try {
      const res = await request(t.url, 'GET', '/health/ready');
      expect(res.status).toBe(503);
      expect(res.json()).toEqual({
        status: 'unavailable', checks: { database: 'ok', migrations: 'pending', signingKeys: 'ok' }, pendingMigrations: [last],
      });
      expect((await request(t.url, 'GET', '/health/live')).status).toBe(200);
    } finally {
      await db.insertInto('schema_migrations' as never).values(applied as never).execute();
    }
    expect((await request(t.url, 'GET', '/health/ready')).json()).toEqual(READY);
  });
});

describe('readiness when PostgreSQL is slow or gone (issue 6)', () => {
  let t: TestServer;
  let admin: pg.Client;
  let dbName: string;
  beforeAll(async () => {
    const cluster = await sharedPostgres();
    const url = await cluster.createDatabase();
    dbName = decodeURIComponent(new URL(url).pathname.slice(1));
    t = await startTestServer({ databaseUrl: url });
    admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`alter database ${pg.escapeIdentifier(dbName)} allow_connections true`).catch(() => undefined);
    await admin?.end();
    await t?.close();
  });

  it('answers 503 "timeout" within about a second when the database does not answer', async () => {
    const blocker = new pg.Client({ connectionString: t.server.services.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table schema_migrations in access exclusive mode');
      const started = performance.now();
      const res = await request(t.url, 'GET', '/health/ready');
      const tookMs = performance.now() - started;
      expect(res.status).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', checks: { database: 'timeout', migrations: 'unknown', signingKeys: 'ok' } });
      expect(tookMs).toBeGreaterThanOrEqual(950);
      expect(tookMs).toBeLessThan(2_500);
      expect((await request(t.url, 'GET', '/health/live')).status).toBe(200);
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    expect((await request(t.url, 'GET', '/health/ready')).json()).toEqual(READY);
  });

  it('answers 503 "unreachable" while the database refuses connections, and 200 once it is back', async () => {
    await admin.query(`alter database ${pg.escapeIdentifier(dbName)} allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
    const down = await request(t.url, 'GET', '/health/ready');
    expect(down.status).toBe(503);
    expect(down.json()).toEqual({ status: 'unavailable', checks: { database: 'unreachable', migrations: 'unknown', signingKeys: 'ok' } });
    await admin.query(`alter database ${pg.escapeIdentifier(dbName)} allow_connections true`);
    const up = await request(t.url, 'GET', '/health/ready');
    expect(up.status).toBe(200);
    expect(up.json()).toEqual(READY);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { describeDatabaseError, isDatabaseUnavailable } from '../../src/storage/database-unavailable.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { freePort } from '../faults/server-process.ts';
import { startSilentTcpServer } from '../support/silent-tcp-server.ts';

/** The error `work` rejects with (fails the test if it resolves). */
async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/**
 * Every case is a real error from the real driver: what a 503 is given for (the database cannot
 * be reached or is busy) and what must stay a 500 (the query or the data is wrong).
 */
describe('isDatabaseUnavailable', () => {
  let url: string;
  let admin: pg.Pool;
  beforeAll(async () => {
    url = await (await sharedPostgres()).createDatabase();
    admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => undefined);
    await admin.query('create table t (id int primary key)');
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('recognises a refused connection (PostgreSQL stopped)', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://od:pw@127.0.0.1:${await freePort()}/od` });
    const err = await errorOf(() => pool.query('select 1'));
    await pool.end();
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(describeDatabaseError(err)).toMatch(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('recognises a connection terminated under a query (administrator shutdown, failover: 57P01)', async () => {
    const victim = new pg.Client({ connectionString: url });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const running = errorOf(() => victim.query('select pg_sleep(30)'));
    await admin.query('select pg_terminate_backend($1)', [pid]);
    const err = await running;
    await victim.end().catch(() => undefined);
    expect((err as { code?: string }).code).toBe('57P01');
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(describeDatabaseError(err)).toBe('terminating connection due to administrator command (57P01)');
  });

  it('recognises a server out of connection slots (53300)', async () => {
    const role = `od_limited_${process.pid}`;
    await admin.query(`create role ${role} login password 'pw-Limited-1' connection limit 0`);
    const limited = new URL(url);
    limited.username = role;
    limited.password = 'pw-Limited-1';
    const client = new pg.Client({ connectionString: limited.toString() });
    const err = await errorOf(() => client.connect());
    expect((err as { code?: string }).code).toBe('53300');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('recognises the pool\'s connection timeout against a host that never answers', async () => {
    const silent = await startSilentTcpServer();
    const pool = new pg.Pool({ connectionString: `postgres://od:pw@127.0.0.1:${silent.port}/od`, connectionTimeoutMillis: 200 });
    const err = await errorOf(() => pool.query('select 1'));
    await pool.end();
    await silent.close();
    expect((err as Error).message).toBe('Connection terminated due to connection timeout');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('leaves query errors, constraint violations and bugs alone', async () => {
    const syntax = await errorOf(() => admin.query('selec 1'));
    const unique = await errorOf(async () => {
      await admin.query('insert into t values (1)');
      await admin.query('insert into t values (1)');
    });
    const missing = await errorOf(() => admin.query('select * from no_such_table'));
    for (const err of [syntax, unique, missing, new TypeError('x is undefined'), new Error('Connection terminated by a bug?'), 'text', null]) {
      expect(isDatabaseUnavailable(err), String(err)).toBe(false);
    }
  });

  it('recognises SQLite busy beyond its busy timeout, and nothing else from SQLite', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'od-busy-'));
    const file = path.join(dir, 'db.sqlite');
    const a = new SQLite(file);
    const b = new SQLite(file);
    try {
      a.pragma('journal_mode = WAL');
      a.exec('create table t (id integer primary key)');
      b.pragma('busy_timeout = 50');
      a.exec('begin immediate');
      let busy: unknown;
      try {
        b.exec('begin immediate');
      } catch (err) {
        busy = err;
      }
      expect((busy as { code?: string }).code).toBe('SQLITE_BUSY');
      expect(isDatabaseUnavailable(busy)).toBe(true);
      a.exec('insert into t values (1)');
      let constraint: unknown;
      try {
        a.exec('insert into t values (1)');
      } catch (err) {
        constraint = err;
      }
      expect((constraint as { code?: string }).code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(isDatabaseUnavailable(constraint)).toBe(false);
      a.exec('rollback');
    } finally {
      a.close();
      b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { engines } from '../support/database-engines.ts';
import { bearer, request, type TestResponse } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';
import { nameRows, type Row } from '../support/name-rows.ts';

/**
 * Concurrent creates of one name (a retrying client, two admins, a Terraform apply run twice):
 * exactly one wins with 201 and every other gets the 400 DUPLICATE_NAME the sequential case
 * gives, in its family's error shape, never a 500. Each in-transaction "name taken?" check can be
 * passed by several transactions at once on PostgreSQL; the losers then hit the unique index,
 * which src/api/http/duplicate-name-error.ts turns into DUPLICATE_NAME.
 */
const N = 8;
const JSON_37 = { accept: 'application/json;version=37.0' };
const XML_37 = { accept: 'application/*+xml;version=37.0' };
const USER_XML = 'application/vnd.vmware.admin.user+xml';
const PASSWORD = 'racer-Passw0rd!';

interface World { t: TestServer; acmeId: string; aliceId: string; alice: string; admin: string }

/** One kind of create: how to send it, how to hold its name in the database, how to count it. */
interface CreateCase {
  what: string;
  family: 'cloudapi' | 'xml' | 'oauth';
  /** The winner's status: 201 for creates, 200 for an OAuth registration (spec §4.2). */
  created?: number;
  table: keyof typeof nameRows;
  /** The column the name is stored in, as given (users: username). */
  column: string;
  send(w: World, name: string): Promise<TestResponse>;
  /** A row that takes `name` on the same unique key the create would insert. */
  row(w: World, name: string): Row;
  /** Per-org names are counted in the tenant org only. */
  perOrg: boolean;
}

const cloudapi = (w: World, token: string, path: string, json: unknown) =>
  request(w.t.url, 'POST', `/cloudapi/1.0.0${path}`, { headers: { ...bearer(token), ...JSON_37 }, json });

const CASES: CreateCase[] = [
  {
    what: 'user', family: 'cloudapi', table: 'users', column: 'username', perOrg: true,
    send: (w, name) => cloudapi(w, w.alice, '/users/', { username: name, password: PASSWORD, roleEntityRefs: [{ name: 'vApp Author' }] }),
    row: (w, name) => nameRows.users(w.acmeId, name),
  },
  {
    what: 'role', family: 'cloudapi', table: 'roles', column: 'name', perOrg: true,
    send: (w, name) => cloudapi(w, w.alice, '/roles/', { name, description: 'made in a race' }),
    row: (w, name) => nameRows.roles(w.acmeId, name),
  },
  {
    what: 'group', family: 'cloudapi', table: 'groups', column: 'name', perOrg: true,
    send: (w, name) => cloudapi(w, w.alice, '/groups/', { name }),
    row: (w, name) => nameRows.groups(w.acmeId, name),
  },
  {
    what: 'org', family: 'cloudapi', table: 'orgs', column: 'name', perOrg: false,
    send: (w, name) => cloudapi(w, w.admin, '/orgs/', { name, displayName: name }),
    row: (_w, name) => nameRows.orgs(name),
  },
  {
    what: 'global role', family: 'cloudapi', table: 'global_roles', column: 'name', perOrg: false,
    send: (w, name) => cloudapi(w, w.admin, '/globalRoles/', { name, description: 'made in a race' }),
    row: (_w, name) => nameRows.global_roles(name),
  },
  {
    what: 'rights bundle', family: 'cloudapi', table: 'rights_bundles', column: 'name', perOrg: false,
    send: (w, name) => cloudapi(w, w.admin, '/rightsBundles/', { name, description: 'made in a race' }),
    row: (_w, name) => nameRows.rights_bundles(name),
  },
  {
    what: 'user (XML API)', family: 'xml', table: 'users', column: 'username', perOrg: true,
    send: (w, name) => request(w.t.url, 'POST', `/api/admin/org/${w.acmeId}/users`, {
      headers: { ...bearer(w.admin), ...XML_37, 'content-type': USER_XML },
      body: `<?xml version="1.0" encoding="UTF-8"?><User xmlns="http://www.vmware.com/vcloud/v1.5" name="${name}" type="${USER_XML}"><IsEnabled>true</IsEnabled><Password>${PASSWORD}</Password></User>`,
    }),
    row: (w, name) => nameRows.users(w.acmeId, name),
  },
  {
    what: 'API token registration (OAuth)', family: 'oauth', created: 200, table: 'api_tokens', column: 'name', perOrg: true,
    send: (w, name) => request(w.t.url, 'POST', '/oauth/tenant/acme/register', { headers: { ...bearer(w.alice), ...JSON_37 }, json: { client_name: name } }),
    row: (w, name) => nameRows.api_tokens(w.acmeId, w.aliceId, name),
  },
];

/** Asserts one DUPLICATE_NAME refusal in the family's shape (spec §6.3, §9.4); returns its message. */
function expectDuplicateName(c: CreateCase, res: TestResponse): string {
  expect(res.status, res.text).toBe(400);
  if (c.family === 'xml') {
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.vmware\.vcloud\.error\+xml;version=37\.0/);
    const m = /<Error xmlns="http:\/\/www\.vmware\.com\/vcloud\/v1\.5" majorErrorCode="400" minorErrorCode="DUPLICATE_NAME" message="\[ [^\]]+ \] ([^"]+)"\/>/.exec(res.text);
    expect(m, res.text).not.toBeNull();
    return m![1]!;
  }
  if (c.family === 'oauth') {
    const body = res.json<{ minorErrorCode: string; message: string; error: string; error_description: string }>();
    expect(body).toEqual({ minorErrorCode: 'DUPLICATE_NAME', message: expect.any(String), stackTrace: null, error: 'invalid_request', error_description: body.message });
    return body.message;
  }
  expect(res.headers.get('content-type')).toMatch(/^application\/json;version=37\.0/);
  const body = res.json<{ minorErrorCode: string; message: string; stackTrace: null }>();
  expect(body).toEqual({ minorErrorCode: 'DUPLICATE_NAME', message: expect.stringMatching(/^\[ \S+ \] /), stackTrace: null });
  return body.message.replace(/^\[ \S+ \] /, '');
}

/** Asserts exactly one 201 and N-1 DUPLICATE_NAME (never a 500); returns the refusals' messages. */
function expectOneWinner(c: CreateCase, responses: TestResponse[]): string[] {
  const statuses = responses.map((r) => r.status);
  const created = c.created ?? 201;
  expect(statuses.filter((s) => s === created), `statuses ${statuses.join(',')}`).toHaveLength(1);
  return responses.filter((r) => r.status !== created).map((r) => expectDuplicateName(c, r));
}

async function countNamed(w: World, c: CreateCase, name: string): Promise<number> {
  let q = (w.t.server.services.db as Kysely<any>).selectFrom(c.table).select((eb) => eb.fn.countAll<number>().as('n')).where(c.column, '=', name);
  if (c.perOrg) q = q.where('org_id', '=', w.acmeId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function startWorld(engine: (typeof engines)[number]): Promise<World> {
  const t = await startTestServer({}, { engine });
  const acme = await createTenant(t.server.services.db, 'acme', { alice: 'Organization Administrator' });
  // Registration needs API Tokens: Manage, which the provider publishes to the tenant.
  await publishTokenRightsBundle(t.server.services.db, acme.orgId);
  const aliceId = (await t.server.services.db.selectFrom('users').select('id').where('org_id', '=', acme.orgId).where('username', '=', 'alice').executeTakeFirstOrThrow()).id;
  return { t, acmeId: acme.orgId, aliceId, alice: await login(t.url, 'alice', 'acme', TENANT_PASSWORD), admin: await loginAdmin(t.url) };
}

describe.each(engines)('concurrent creates of one name on %s', (engine) => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld(engine);
  });
  afterAll(async () => {
    await w?.t.close();
  });

  it.each(CASES.map((c) => [c.what, c] as const))(`answers ${N} identical %s creates with one winner (201, or 200 for a registration) and DUPLICATE_NAME for the rest`, async (_what, c) => {
    const name = `race-${c.table}-${c.family}`;
    const responses = await Promise.all(Array.from({ length: N }, () => c.send(w, name)));
    expect(expectOneWinner(c, responses)).toHaveLength(N - 1);
    expect(await countNamed(w, c, name)).toBe(1);
  });
});

/**
 * The losing path made certain: a transaction of the test holds each name uncommitted while all
 * N requests pass their "name taken?" check (the row is invisible to them) and block on the unique
 * index; the test rolls it back once all N are waiting. One insert then succeeds, the other N-1
 * fail in the database itself. (SQLite cannot get here: one connection runs one transaction at a
 * time, so the check always sees the winner.)
 */
describe('creates that lose the race inside PostgreSQL', () => {
  let w: World;
  let blocker: pg.Client;
  beforeAll(async () => {
    w = await startWorld('postgres');
    blocker = new pg.Client({ connectionString: w.t.server.services.config.databaseUrl });
    await blocker.connect();
  });
  afterAll(async () => {
    await blocker?.end();
    await w?.t.close();
  });

  /** Waits (by polling the server, no timers) until `count` backends are blocked by the blocker. */
  async function waitForBlocked(count: number): Promise<void> {
    const watcher = new pg.Client({ connectionString: w.t.server.services.config.databaseUrl });
    await watcher.connect();
    try {
      const blockerPid = (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { rows } = await watcher.query<{ n: number }>(
          'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [blockerPid]);
        if (rows[0]!.n >= count) return;
        if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${count} creates reached the unique index`);
      }
    } finally {
      await watcher.end();
    }
  }

  it.each(CASES.map((c) => [c.what, c] as const))('answers every %s create that failed on the unique index with DUPLICATE_NAME, not 500', async (_what, c) => {
    const name = `held-${c.table}-${c.family}`;
    const row = c.row(w, name);
    const columns = Object.keys(row);
    await blocker.query('begin');
    await blocker.query(
      `insert into ${pg.escapeIdentifier(c.table)} (${columns.map((k) => pg.escapeIdentifier(k)).join(', ')}) values (${columns.map((_k, i) => `$${i + 1}`).join(', ')})`,
      Object.values(row),
    );
    const sent = Promise.all(Array.from({ length: N }, () => c.send(w, name)));
    try {
      await waitForBlocked(N);
    } finally {
      await blocker.query('rollback');
    }
    const messages = expectOneWinner(c, await sent);
    // Every refusal came from the database, not from the service's own check (whose message quotes the name).
    expect(messages).toHaveLength(N - 1);
    for (const m of messages) expect(m).toMatch(/^An? [A-Za-z ]+ with that name already exists( in this organization| among your live tokens)?\.$/);
    expect(await countNamed(w, c, name)).toBe(1);
  });
});

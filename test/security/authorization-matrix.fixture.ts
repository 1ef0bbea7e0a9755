/**
 * Fixtures of the authorization matrix (test/security/authorization-matrix.test.ts): two tenant
 * orgs with users of every kind, inventory, tokens, and factories of throwaway objects so that a
 * cell whose request succeeds changes only an object made for it.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/storage/database.ts';
import { rightId, globalRoleId, rightsBundleId } from '../../src/tenancy/bootstrap.ts';
import { RIGHTS } from '../../src/rbac/rights-catalog.ts';
import { newId } from '../../src/common/ids.ts';
import { ADMIN_PASSWORD, type TestServer } from '../support/test-server.ts';
import { basic, bearer, request, type TestResponse } from '../support/http-client.ts';
import { createApiToken, exchange } from '../support/flows.ts';
import { createTenant, publishTokenRightsBundle, publishServiceAccountRightsBundle, TENANT_PASSWORD } from '../support/tenant.ts';

/** The columns of the matrix, in table order. */
export const PRINCIPALS = ['anon', 'noRights', 'user', 'token', 'orgAdmin', 'otherAdmin', 'provider', 'providerInTenant'] as const;
export type Who = (typeof PRINCIPALS)[number];

/** Who each principal is (org A is `acme`, org B is `globex`). */
const LOGINS: Record<Exclude<Who, 'anon' | 'token' | 'providerInTenant'>, { user: string; org: string; password: string }> = {
  noRights: { user: 'nora', org: 'acme', password: TENANT_PASSWORD }, // Console Access Only: no token rights
  user: { user: 'uma', org: 'acme', password: TENANT_PASSWORD }, // vApp User: API Tokens: Manage
  orgAdmin: { user: 'anna', org: 'acme', password: TENANT_PASSWORD }, // Organization Administrator
  otherAdmin: { user: 'gabe', org: 'globex', password: TENANT_PASSWORD }, // Organization Administrator of org B
  provider: { user: 'administrator', org: 'System', password: ADMIN_PASSWORD },
};

export const JSON_ACCEPT = 'application/json;version=37.0';
export const XML_ACCEPT = 'application/*+xml;version=37.0';

export interface Fixtures {
  readonly t: TestServer;
  readonly db: Kysely<Database>;
  readonly acmeId: string;
  readonly globexId: string;
  readonly ids: {
    uma: string; anna: string; gabe: string; group: string; role: string; globalRole: string; bundle: string;
    right: string; rightsCategory: string; token: string; audit: string; vdc: string; vapp: string; vm: string; task: string;
  };
  /** Credentials (headers) of each principal; `fresh` logs in anew (for logout-like routes). */
  headers(who: Who, fresh?: boolean): Promise<Record<string, string>>;
  /** The principal's bearer access token (null for anon). */
  accessToken(who: Who): Promise<string | null>;
  /** Logs every principal in again (after a cell that ends other sessions). */
  refresh(): Promise<void>;
  /** Calls the API as the provider (in acme when `inAcme`), asserting a 2xx. */
  asProvider(method: string, path: string, opts?: { json?: unknown; body?: string; headers?: Record<string, string>; inAcme?: boolean }): Promise<TestResponse>;
  fresh: {
    name(prefix: string): string;
    user(): Promise<string>;
    /** A fresh acme user holding one live API token (inserted directly: the user has no token right). */
    userWithToken(): Promise<string>;
    group(): Promise<string>;
    role(): Promise<string>;
    globalRole(): Promise<string>;
    bundle(): Promise<string>;
    org(): Promise<string>;
    /** A live API token of uma (acme). */
    token(): Promise<string>;
    /** A registered, not yet minted client of uma (acme) or of the provider. */
    client(owner: 'uma' | 'provider'): Promise<string>;
    /** A live interactive session of uma; returns its id. */
    umaSession(): Promise<string>;
    vm(status: 'POWERED_ON' | 'POWERED_OFF'): Promise<string>;
  };
}

function jwtId(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string };
  return payload.jti;
}

async function loginToken(url: string, l: { user: string; org: string; password: string }): Promise<string> {
  const p = l.org === 'System' ? '/cloudapi/1.0.0/sessions/provider' : '/cloudapi/1.0.0/sessions';
  const res = await request(url, 'POST', p, { headers: { authorization: basic(l.user, l.org, l.password), accept: JSON_ACCEPT } });
  if (res.status !== 200) throw new Error(`login ${l.user}@${l.org}: ${res.status} ${res.text}`);
  return res.headers.get('x-vmware-vcloud-access-token') as string;
}

const lastId = (res: TestResponse): string => {
  const id = res.json<{ id: string }>().id;
  return id.split(':').pop() as string;
};

/** Builds both orgs, their users, tokens and inventory through the API and the database. */
export async function buildFixtures(t: TestServer): Promise<Fixtures> {
  const db = t.server.services.db;
  const acme = await createTenant(db, 'acme', { anna: 'Organization Administrator', uma: 'vApp User', nora: 'Console Access Only' });
  const globex = await createTenant(db, 'globex', { gabe: 'Organization Administrator', gus: 'vApp User' });
  await publishTokenRightsBundle(db, acme.orgId);
  await publishTokenRightsBundle(db, globex.orgId);
  await publishServiceAccountRightsBundle(db, acme.orgId);
  await publishServiceAccountRightsBundle(db, globex.orgId);

  const tokens = new Map<Who, string>();
  let umaApiToken = '';
  const refresh = async () => {
    for (const [who, l] of Object.entries(LOGINS)) tokens.set(who as Who, await loginToken(t.url, l));
    tokens.set('providerInTenant', tokens.get('provider') as string);
    if (umaApiToken) tokens.set('token', await exchange(t.url, 'acme', umaApiToken));
  };
  await refresh();
  const umaToken = await createApiToken(t.url, tokens.get('user') as string, 'acme', 'matrix-token-session');
  umaApiToken = umaToken.token;
  tokens.set('token', await exchange(t.url, 'acme', umaApiToken));

  const tenantContext = { 'x-vmware-vcloud-tenant-context': acme.orgId };
  const headers = async (who: Who, fresh = false): Promise<Record<string, string>> => {
    if (who === 'anon') return {};
    let token = tokens.get(who) as string;
    if (fresh) {
      token = who === 'token' ? await exchange(t.url, 'acme', umaApiToken)
        : await loginToken(t.url, LOGINS[who === 'providerInTenant' ? 'provider' : who]);
    }
    return { ...bearer(token), ...(who === 'providerInTenant' ? tenantContext : {}) };
  };
  const asProvider: Fixtures['asProvider'] = async (method, path, opts = {}) => {
    const res = await request(t.url, method, path, {
      headers: { ...bearer(tokens.get('provider') as string), accept: JSON_ACCEPT, ...(opts.inAcme ? tenantContext : {}), ...opts.headers },
      ...(opts.json !== undefined ? { json: opts.json } : {}), ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
    return res;
  };

  let n = 0;
  const name = (prefix: string) => `${prefix}-${++n}`;
  const urn = (type: string, id: string) => `urn:vcloud:${type}:${id}`;

  // Inventory in both orgs (provider-only creation), and a task of uma's.
  const inventory = async (orgId: string) => {
    const vdc = lastId(await asProvider('POST', '/cloudapi/1.0.0/vdcs', { json: { name: name('vdc'), org: { id: urn('org', orgId) } } }));
    const vapp = lastId(await asProvider('POST', '/cloudapi/1.0.0/vapps', { json: { name: name('vapp'), vdc: { id: urn('vdc', vdc) } } }));
    const vm = lastId(await asProvider('POST', '/cloudapi/1.0.0/vms', { json: { name: name('vm'), vapp: { id: urn('vapp', vapp) }, guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 1, memoryMb: 512 } }));
    return { vdc, vapp, vm };
  };
  const acmeInv = await inventory(acme.orgId);
  await inventory(globex.orgId);
  const vmForTask = lastId(await asProvider('POST', '/cloudapi/1.0.0/vms', { json: { name: name('vm'), vapp: { id: urn('vapp', acmeInv.vapp) }, guestOs: 'Other', cpuCount: 1, memoryMb: 512 } }));
  const power = await request(t.url, 'POST', `/api/vApp/vm-${vmForTask}/power/action/powerOn`, { headers: { ...bearer(tokens.get('user') as string), accept: XML_ACCEPT } });
  if (power.status !== 202) throw new Error(`power on: ${power.status} ${power.text}`);
  const task = /\/api\/task\/([0-9a-f-]{36})/.exec(power.text)?.[1] as string;

  const group = lastId(await asProvider('POST', '/cloudapi/1.0.0/groups', { inAcme: true, json: { name: 'operators', usersList: [{ id: urn('user', acme.userIds.uma as string) }] } }));
  await asProvider('POST', '/cloudapi/1.0.0/groups', { inAcme: false, headers: { 'x-vmware-vcloud-tenant-context': globex.orgId }, json: { name: 'globex-operators' } });
  const role = (await db.selectFrom('roles').select('id').where('org_id', '=', acme.orgId).where('name', '=', 'vApp User').executeTakeFirstOrThrow()).id;
  const rightsCategory = (await db.selectFrom('rights_categories').select('id').orderBy('name').executeTakeFirstOrThrow()).id;
  const audit = (await db.selectFrom('audit_events').select('id').where('org_id', '=', acme.orgId).orderBy('seq').executeTakeFirstOrThrow()).id;

  const fresh: Fixtures['fresh'] = {
    name,
    user: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/users', { inAcme: true, json: { username: name('user'), password: TENANT_PASSWORD, enabled: true } })),
    userWithToken: async () => {
      const id = await fresh.user();
      const now = new Date().toISOString();
      await db.insertInto('api_tokens').values({
        id: newId(), org_id: acme.orgId, user_id: id, name: name('token'), secret_hash: randomBytes(32).toString('hex'), created_at: now,
        minted_at: now, last_used_at: null, last_used_ip: null, revoked_at: null, revoked_by: null,
      }).execute();
      return id;
    },
    group: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/groups', { inAcme: true, json: { name: name('group') } })),
    role: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/roles', { inAcme: true, json: { name: name('role'), description: 'throwaway' } })),
    globalRole: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/globalRoles', { json: { name: name('global-role'), description: 'throwaway' } })),
    bundle: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/rightsBundles', { json: { name: name('bundle'), description: 'throwaway' } })),
    org: async () => lastId(await asProvider('POST', '/cloudapi/1.0.0/orgs', { json: { name: name('org'), displayName: 'Throwaway', isEnabled: true } })),
    token: async () => (await createApiToken(t.url, tokens.get('user') as string, 'acme', name('token'))).id,
    client: async (owner) => {
      const base = owner === 'uma' ? '/oauth/tenant/acme' : '/oauth/provider';
      const session = tokens.get(owner === 'uma' ? 'user' : 'provider') as string;
      const reg = await request(t.url, 'POST', `${base}/register`, { headers: bearer(session), json: { client_name: name('client') } });
      if (reg.status !== 200) throw new Error(`register: ${reg.status} ${reg.text}`);
      return reg.json<{ client_id: string }>().client_id;
    },
    umaSession: async () => jwtId(await loginToken(t.url, LOGINS.user)),
    vm: async (status) => lastId(await asProvider('POST', '/cloudapi/1.0.0/vms', { json: { name: name('vm'), vapp: { id: urn('vapp', acmeInv.vapp) }, guestOs: 'Other', cpuCount: 1, memoryMb: 512, status } })),
  };

  return {
    t, db, acmeId: acme.orgId, globexId: globex.orgId,
    ids: {
      uma: acme.userIds.uma as string, anna: acme.userIds.anna as string, gabe: globex.userIds.gabe as string, group, role,
      globalRole: globalRoleId('vApp User'), bundle: rightsBundleId('Default Rights Bundle'), right: rightId(RIGHTS.vappView),
      rightsCategory, token: umaToken.id, audit, ...acmeInv, task,
    },
    headers, refresh, asProvider, fresh,
    accessToken: async (who) => (who === 'anon' ? null : (tokens.get(who) as string)),
  };
}

/** Tables whose content a refused request must leave untouched (all but logs and counters). */
const VOLATILE_TABLES = new Set(['audit_events', 'sessions', 'rate_limit_counters', 'signing_keys', 'kysely_migration', 'kysely_migration_lock']);
/** Columns written in the background (the last-use recorder flushes on its own schedule). */
const VOLATILE_COLUMNS: Record<string, readonly string[]> = { api_tokens: ['last_used_at', 'last_used_ip'] };

/** A fingerprint of every durable table, to prove that a refused request wrote nothing. */
export async function snapshot(db: Kysely<Database>): Promise<Map<string, string>> {
  const tables = (await db.introspection.getTables()).filter((tb) => !VOLATILE_TABLES.has(tb.name));
  const out = new Map<string, string>();
  for (const tb of tables) {
    const cols = tb.columns.map((c) => c.name).filter((c) => !(VOLATILE_COLUMNS[tb.name] ?? []).includes(c));
    const rows = await sql<Record<string, unknown>>`select ${sql.join(cols.map((c) => sql.ref(c)))} from ${sql.table(tb.name)}`.execute(db);
    out.set(tb.name, rows.rows.map((r) => JSON.stringify(r)).sort().join('\n'));
  }
  return out;
}

/** The ids of every object owned by `orgId` (and the org's own id and name), for leak checks. */
export async function idsOwnedBy(db: Kysely<Database>, orgId: string): Promise<string[]> {
  const org = await db.selectFrom('orgs').select(['id', 'name']).where('id', '=', orgId).executeTakeFirstOrThrow();
  const out = [org.id];
  for (const table of ['users', 'groups', 'roles', 'api_tokens', 'vdcs', 'vapps', 'vms', 'tasks'] as const) {
    const rows = await sql<{ id: string }>`select id from ${sql.table(table)} where org_id = ${orgId}`.execute(db);
    out.push(...rows.rows.map((r) => r.id));
  }
  return out;
}

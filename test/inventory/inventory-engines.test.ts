import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { engines } from '../support/database-engines.ts';
import { sharedPostgres } from '../support/embedded-postgres.ts';
import { bearer, request } from '../support/http-client.ts';
import { login, loginAdmin } from '../support/flows.ts';
import { seedDemo } from '../../src/inventory/demo.ts';
import { DEMO_PASSWORD } from '../../src/inventory/demo-data.ts';

const XML = { accept: 'application/*+xml;version=37.0' };
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n.endsWith('Record') || n === 'Link' });

/**
 * The inventory SQL (wrapped subqueries, correlated counts, case-insensitive FIQL, LIMIT/OFFSET)
 * must give the same answers on both engines: PostgreSQL returns counts as bigint strings and has
 * ILIKE, SQLite has neither difference.
 */
describe.each(engines)('inventory on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    const overrides = engine === 'postgres'
      ? { databaseUrl: await (await sharedPostgres()).createDatabase(), keyEncryptionKey: 'k'.repeat(43) }
      : {};
    t = await startTestServer(overrides);
    await seedDemo(t.server.services);
  });
  afterAll(async () => {
    await t?.close();
  });

  const q = async (token: string, path: string) => {
    const res = await request(t.url, 'GET', path, { headers: { ...bearer(token), ...XML } });
    expect(res.status, res.text).toBe(200);
    return parser.parse(res.text).QueryResultRecords;
  };

  it('answers filtered, sorted, paged queries with exact totals and aggregates', async () => {
    const bob = await login(t.url, 'bob', 'acme', DEMO_PASSWORD);
    const page = await q(bob, '/api/query?type=vm&filter=name==WEB-*&sortDesc=name&pageSize=2&page=2');
    expect(page).toMatchObject({ total: '5', page: '2', pageSize: '2' });
    expect(page.VMRecord.map((r: { name: string }) => r.name)).toEqual(['web-03', 'web-02']);
    const vapps = await q(bob, '/api/query?type=vApp&filter=numberOfVMs==5;ownerName==ALICE&sortAsc=name');
    expect(vapps.VAppRecord.map((r: { name: string; numberOfCpus: string; status: string }) => [r.name, r.numberOfCpus, r.status])).toEqual([
      ['customer-db', '48', 'MIXED'], ['data-lab', '48', 'MIXED'], ['erp-legacy', '24', 'MIXED'],
    ]);
    const vdcs = await q(bob, '/api/query?type=orgVdc&filter=numberOfRunningVMs=gt=15');
    expect(vdcs.OrgVdcRecord.map((r: { name: string; numberOfRunningVMs: string }) => [r.name, r.numberOfRunningVMs])).toEqual([['acme-prod', '19']]);
    const alice = await login(t.url, 'alice', 'acme', DEMO_PASSWORD);
    const users = await q(alice, '/api/query?type=user&filter=numberOfStoredVMs=ge=15&sortAsc=name');
    expect(users.UserRecord.map((u: { name: string; numberOfStoredVMs: string }) => [u.name, u.numberOfStoredVMs])).toEqual([['alice', '15'], ['bob', '20'], ['carol', '15']]);
  });

  it('powers a VM and records the task', async () => {
    const admin = await loginAdmin(t.url);
    const vm = await q(admin, '/api/query?type=vm&filter=name==qa-02');
    const href: string = vm.VMRecord[0].href;
    const res = await request(t.url, 'POST', `${href.slice(t.url.length)}/power/action/powerOn`, { headers: { ...bearer(admin), ...XML } });
    expect(res.status, res.text).toBe(202);
    expect(parser.parse(res.text).Task).toMatchObject({ status: 'success', operationName: 'vappPowerOn' });
    expect((await q(admin, '/api/query?type=vm&filter=name==qa-02')).VMRecord[0].status).toBe('POWERED_ON');
  });
});

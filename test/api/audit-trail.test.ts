import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { api, C, createRbacWorld, q, type RbacWorld } from './rbac.fixture.ts';
import { createInventoryViaApi } from './tenant.fixture.ts';

/** `GET /cloudapi/1.0.0/auditTrail/` (spec §10): the event object as clients read it. */
let t: TestServer;
let w: RbacWorld;
beforeAll(async () => {
  t = await startTestServer();
  w = await createRbacWorld(t);
});
afterAll(async () => {
  await t?.close();
});

type AuditEvent = { eventType: string; eventEntity: { name: string; id: string } | null };

describe('GET /cloudapi/1.0.0/auditTrail/ event entities (spec §1.2, §10.2)', () => {
  it('names every kind of changed object by its URN, and finds the event by that URN', async () => {
    const admin = api(t, await w.session('admin'));
    const alice = api(t, await w.session('alice'));
    const created = async (a: typeof admin, path: string, body: unknown) => {
      const res = await a.post(`${C}/${path}/`, body);
      expect(res.status, res.text).toBe(201);
      return res.json<{ id: string }>().id;
    };
    const urns = [
      await created(alice, 'roles', { name: 'audited-role', description: '' }),
      await created(alice, 'groups', { name: 'audited-group' }),
      await created(admin, 'globalRoles', { name: 'audited-global-role', description: '' }),
      await created(admin, 'rightsBundles', { name: 'audited-bundle', description: '' }),
    ];
    const inventory = await createInventoryViaApi(t.url, await w.session('admin'), w.acmeId, { vdc: 'audited-vdc', vapp: 'audited-vapp', vms: [{ name: 'audited-vm' }] });
    urns.push(`urn:vcloud:vdc:${inventory.vdcId}`, `urn:vcloud:vapp:${inventory.vappId}`, `urn:vcloud:vm:${inventory.vmIds[0]}`);
    expect(urns.map((u) => u.split(':')[2])).toEqual(['role', 'group', 'globalRole', 'rightsBundle', 'vdc', 'vapp', 'vm']);

    for (const urn of urns) {
      const res = await admin.get(`${C}/auditTrail/${q({ filter: `eventEntity.id==${urn}`, pageSize: '128' })}`);
      expect(res.status, res.text).toBe(200);
      const events = res.json<{ values: AuditEvent[] }>().values;
      expect(events.length, urn).toBeGreaterThan(0);
      for (const e of events) expect(e.eventEntity?.id, `${urn} ${e.eventType}`).toBe(urn);
    }
  });
});

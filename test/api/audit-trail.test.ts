import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { bearer, request } from '../support/http-client.ts';
import { createApiToken } from '../support/flows.ts';
import { allowTokenRights, api, C, createRbacWorld, q, type RbacWorld } from './rbac.fixture.ts';
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

type Ref = { name: string; id: string };
type AuditEvent = { eventType: string; eventEntity: Ref | null; operatingOrg: Ref; user: Ref | null };

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

describe('what the provider does inside a tenant org is in that org\'s audit trail (spec §10.2 operatingOrg)', () => {
  it('files role, inventory, power and token-revocation events under the tenant, seen by its admin and not by another tenant', async () => {
    const admin = api(t, await w.session('admin'));
    const inAcme = { 'x-vmware-vcloud-tenant-context': w.acmeId };
    await allowTokenRights(t, w.acmeId);
    const tokenUrn = `urn:vcloud:token:${(await createApiToken(t.url, await w.session('alice'), 'acme', 'revoked-by-provider')).id}`;

    const role = await admin.post(`${C}/roles/`, { name: 'provider-made-role', description: '' }, inAcme);
    expect(role.status, role.text).toBe(201);
    const inventory = await createInventoryViaApi(t.url, await w.session('admin'), w.acmeId, { vdc: 'provider-vdc', vapp: 'provider-vapp', vms: [{ name: 'provider-vm' }] });
    const power = await request(t.url, 'POST', `/api/vApp/vm-${inventory.vmIds[0]}/power/action/powerOn`,
      { headers: { ...bearer(await w.session('admin')), accept: 'application/*+xml;version=37.0' } });
    expect(power.status, power.text).toBe(202);
    const revoked = await admin.del(`${C}/tokens/${tokenUrn}`, inAcme);
    expect(revoked.status, revoked.text).toBe(204);

    const trailOf = async (user: 'alice' | 'gina') => {
      const res = await api(t, await w.session(user)).get(`${C}/auditTrail/${q({ filter: 'user.name==administrator', pageSize: '128' })}`);
      expect(res.status, res.text).toBe(200);
      return res.json<{ values: AuditEvent[] }>().values;
    };
    const acme = await trailOf('alice');
    const kinds = ['role/create', 'vdc/create', 'vapp/create', 'vm/create', 'vm/power_on', 'token/revoke'];
    for (const kind of kinds) {
      const event = acme.find((e) => e.eventType === `com/vmware/cloud/event/${kind}`);
      expect(event, kind).toBeDefined();
      expect(event!.operatingOrg, kind).toEqual({ name: 'acme', id: `urn:vcloud:org:${w.acmeId}` });
      expect(event!.user?.name, kind).toBe('administrator');
    }
    expect(acme.find((e) => e.eventType.endsWith('token/revoke'))?.eventEntity?.id).toBe(tokenUrn);
    expect(await trailOf('gina')).toEqual([]);
  });
});

import { expect } from 'vitest';
import type { Services } from '../../src/api/http/services.ts';
import { newId } from '../../src/common/ids.ts';
import { bumpRbacVersion, syncPublishedGlobalRoles } from '../../src/rbac/global-role-sync.ts';
import { bearer, request } from '../support/http-client.ts';

export const TENANT_PASSWORD = 'Tenant-Passw0rd!';

/**
 * Creates a tenant org with users holding published global roles, straight in the database
 * (the tenant-management API is another module's; these suites test the inventory and XML API).
 */
export async function createTenantOrg(
  services: Services, name: string, users: readonly { username: string; role: string }[],
): Promise<{ orgId: string; userIds: Record<string, string> }> {
  const orgId = newId();
  const now = new Date().toISOString();
  const hash = await services.passwords.hash(TENANT_PASSWORD);
  const userIds: Record<string, string> = {};
  await services.db.transaction().execute(async (trx) => {
    await trx.insertInto('orgs').values({
      id: orgId, name, name_lower: name.toLowerCase(), display_name: `${name} Inc.`, description: `${name} tenant`,
      is_enabled: 1, require_mfa: 0, created_at: now,
    }).execute();
    await syncPublishedGlobalRoles(trx, orgId);
    for (const u of users) {
      const role = await trx.selectFrom('roles').select('id').where('org_id', '=', orgId).where('name', '=', u.role).executeTakeFirstOrThrow();
      const id = newId();
      await trx.insertInto('users').values({
        id, org_id: orgId, username: u.username, username_lower: u.username.toLowerCase(), full_name: u.username, description: '',
        email: '', password_hash: hash, enabled: 1, locked: 0, provider_type: 'LOCAL', totp_secret: null, totp_pending_secret: null,
        totp_enabled: 0, totp_last_step: 0, totp_failures: 0, deployed_vm_quota: 0, stored_vm_quota: 0, created_at: now,
      }).execute();
      await trx.insertInto('user_roles').values({ user_id: id, role_id: role.id, org_id: orgId }).execute();
      userIds[u.username] = id;
    }
    await bumpRbacVersion(trx);
  });
  return { orgId, userIds };
}

/** Builds a VDC → vApp → VMs through the provider's inventory API; returns the VM ids (bare UUIDs). */
export async function createInventoryViaApi(
  url: string, adminToken: string, orgId: string,
  spec: { vdc: string; vapp: string; vms: readonly { name: string; status?: 'POWERED_ON' | 'POWERED_OFF' }[]; ownerId?: string },
): Promise<{ vdcId: string; vappId: string; vmIds: string[] }> {
  const post = async (path: string, json: unknown) => {
    const res = await request(url, 'POST', `/cloudapi/1.0.0/${path}`, { headers: { ...bearer(adminToken), accept: 'application/json;version=37.0' }, json });
    expect(res.status, res.text).toBe(201);
    return (res.json<{ id: string }>().id.split(':').pop()) as string;
  };
  const vdcId = await post('vdcs', { name: spec.vdc, org: { id: `urn:vcloud:org:${orgId}` } });
  const vappId = await post('vapps', { name: spec.vapp, vdc: { id: `urn:vcloud:vdc:${vdcId}` }, ...(spec.ownerId ? { owner: { id: `urn:vcloud:user:${spec.ownerId}` } } : {}) });
  const vmIds: string[] = [];
  for (const vm of spec.vms) {
    vmIds.push(await post('vms', {
      name: vm.name, vapp: { id: `urn:vcloud:vapp:${vappId}` }, guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 2, memoryMb: 4096,
      status: vm.status ?? 'POWERED_OFF',
    }));
  }
  return { vdcId, vappId, vmIds };
}

import type { Kysely } from 'kysely';
import type { Services } from '../api/http/services.ts';
import type { Database } from '../storage/database.ts';
import type { AuditActor } from '../audit/audit-writer.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { newId } from '../common/ids.ts';
import { RIGHTS, SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { bumpRbacVersion, syncPublishedGlobalRoles } from '../rbac/global-role-sync.ts';
import { rightId, rightsBundleId } from '../tenancy/bootstrap.ts';
import { createVapp, createVdc, createVm } from './create-inventory.ts';
import type { OrgScope } from './access.ts';
import {
  DEMO_ORG, DEMO_PASSWORD, DEMO_TOKEN_BUNDLE, DEMO_USERS, DEMO_VDCS, demoVms, type DemoUserKey,
} from './demo-data.ts';

/**
 * Seeds the demo tenant (`opendirector serve --demo`): org `acme` with users alice (Organization
 * Administrator), bob (vApp Author) and carol (vApp User) sharing DEMO_PASSWORD, 2 VDCs, 10 vApps
 * and 50 VMs, and the "API Tokens" rights bundle published to acme so its users can create API
 * tokens (the default bundle leaves the feature off, seed 000). Idempotent: does nothing when an
 * org named acme exists. Everything commits in one transaction, audited as the system.
 * Returns the multi-line summary `serve` prints.
 */
export async function seedDemo(services: Services): Promise<string> {
  const db = services.db;
  const existing = await db.selectFrom('orgs').select('id').where('name_lower', '=', DEMO_ORG.name).executeTakeFirst();
  if (existing) return `Demo data: organization ${DEMO_ORG.name} already exists; nothing seeded.`;
  // Hashing outside the transaction: it is slow on purpose and needs no lock.
  const hashes = new Map<DemoUserKey, string>();
  for (const u of DEMO_USERS) hashes.set(u.username, await services.passwords.hash(DEMO_PASSWORD));
  const at = services.clock.now();
  const counts = await db.transaction().execute(async (trx) => {
    const system = await trx.selectFrom('orgs').select(['id', 'name']).where('name', '=', SYSTEM_ORG_NAME).executeTakeFirstOrThrow();
    const actor: AuditActor = { userId: null, userName: 'system', orgId: system.id, orgName: system.name, apiTokenId: null };
    const orgId = await insertOrg(trx, at, actor);
    const userIds = await insertUsers(trx, at, actor, orgId, hashes);
    await publishTokenBundle(trx, orgId);
    await bumpRbacVersion(trx);
    return insertInventory(trx, at, actor, { kind: 'org', orgId }, orgId, userIds);
  });
  return [
    `Demo data seeded: organization ${DEMO_ORG.name} (${DEMO_ORG.displayName})`,
    `  users (password "${DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => `${u.username} (${u.role})`).join(', ')}`,
    `  ${counts.vdcs} VDCs, ${counts.vapps} vApps, ${counts.vms} VMs; rights bundle "${DEMO_TOKEN_BUNDLE.name}" published to ${DEMO_ORG.name}`,
    `  log in: POST /cloudapi/1.0.0/sessions with Basic alice@${DEMO_ORG.name}:${DEMO_PASSWORD}`,
  ].join('\n');
}

async function insertOrg(trx: Kysely<Database>, at: Date, actor: AuditActor): Promise<string> {
  const orgId = newId();
  await trx.insertInto('orgs').values({
    id: orgId, name: DEMO_ORG.name, name_lower: DEMO_ORG.name.toLowerCase(), display_name: DEMO_ORG.displayName,
    description: DEMO_ORG.description, is_enabled: 1, require_mfa: 0, created_at: at.toISOString(),
  }).execute();
  await syncPublishedGlobalRoles(trx, orgId);
  await appendAuditEvent(trx, {
    event: 'org.created', actor, at, entity: { id: orgId, name: DEMO_ORG.name, type: 'org' }, description: `Organization ${DEMO_ORG.name} created (demo data)`,
  });
  return orgId;
}

async function insertUsers(
  trx: Kysely<Database>, at: Date, actor: AuditActor, orgId: string, hashes: ReadonlyMap<DemoUserKey, string>,
): Promise<Map<DemoUserKey, string>> {
  const ids = new Map<DemoUserKey, string>();
  for (const u of DEMO_USERS) {
    // The org's copy of the published global role (syncPublishedGlobalRoles just created it).
    const role = await trx.selectFrom('roles').select('id').where('org_id', '=', orgId).where('name', '=', u.role).executeTakeFirstOrThrow();
    const id = newId();
    await trx.insertInto('users').values({
      id, org_id: orgId, username: u.username, username_lower: u.username, full_name: u.fullName, description: '',
      email: `${u.username}@acme.example`, password_hash: hashes.get(u.username) ?? '', enabled: 1, locked: 0, provider_type: 'LOCAL',
      totp_secret: null, totp_pending_secret: null, totp_enabled: 0, totp_last_step: 0, totp_failures: 0,
      deployed_vm_quota: 0, stored_vm_quota: 0, created_at: at.toISOString(),
    }).execute();
    await trx.insertInto('user_roles').values({ user_id: id, role_id: role.id, org_id: orgId }).execute();
    await appendAuditEvent(trx, {
      event: 'user.created', actor, at, entity: { id, name: u.username, type: 'user' },
      description: `User ${u.username} created in organization ${DEMO_ORG.name} with role ${u.role} (demo data)`,
    });
    ids.set(u.username, id);
  }
  return ids;
}

/** Creates the "API Tokens" bundle when missing (found by name, as another admin may have made it) and publishes it to the org. */
async function publishTokenBundle(trx: Kysely<Database>, orgId: string): Promise<void> {
  const found = await trx.selectFrom('rights_bundles').select('id').where('name', '=', DEMO_TOKEN_BUNDLE.name).executeTakeFirst();
  const bundleId = found?.id ?? rightsBundleId(DEMO_TOKEN_BUNDLE.name);
  if (!found) {
    await trx.insertInto('rights_bundles').values({
      id: bundleId, name: DEMO_TOKEN_BUNDLE.name, description: DEMO_TOKEN_BUNDLE.description,
      bundle_key: 'com.vmware.vcloud.undefined.key', read_only: 0, publish_all: 0,
    }).execute();
  }
  const have = new Set((await trx.selectFrom('rights_bundle_rights').select('right_id').where('rights_bundle_id', '=', bundleId).execute()).map((r) => r.right_id));
  for (const name of [RIGHTS.apiTokensManage, RIGHTS.apiTokensManageAll]) {
    if (!have.has(rightId(name))) await trx.insertInto('rights_bundle_rights').values({ rights_bundle_id: bundleId, right_id: rightId(name) }).execute();
  }
  await trx.insertInto('rights_bundle_tenants').values({ rights_bundle_id: bundleId, org_id: orgId }).execute();
}

async function insertInventory(
  trx: Kysely<Database>, at: Date, actor: AuditActor, scope: OrgScope, orgId: string, users: ReadonlyMap<DemoUserKey, string>,
): Promise<{ vdcs: number; vapps: number; vms: number }> {
  const counts = { vdcs: 0, vapps: 0, vms: 0 };
  for (const vdc of DEMO_VDCS) {
    const vdcId = await createVdc(trx, at, actor, scope, { orgId, name: vdc.name, description: vdc.description });
    counts.vdcs++;
    for (const vapp of vdc.vapps) {
      const vappId = await createVapp(trx, at, actor, scope, { vdcId, name: vapp.name, ownerId: users.get(vapp.owner) ?? null });
      counts.vapps++;
      for (const vm of demoVms(vapp)) {
        await createVm(trx, at, actor, scope, { vappId, ownerId: null, ...vm });
        counts.vms++;
      }
    }
  }
  return counts;
}

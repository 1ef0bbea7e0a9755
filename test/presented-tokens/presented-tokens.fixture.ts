import type { Kysely } from 'kysely';
import { newId } from '../../src/common/ids.ts';
import { bumpRbacVersion } from '../../src/rbac/global-role-sync.ts';
import { RIGHTS } from '../../src/rbac/rights-catalog.ts';
import type { Database } from '../../src/storage/database.ts';
import { rightId } from '../../src/tenancy/bootstrap.ts';
import { createApiToken, login, loginAdmin } from '../support/flows.ts';
import { createTenant, TENANT_PASSWORD } from '../support/tenant.ts';
import type { TestServer } from '../support/test-server.ts';

export const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

/** A bundle with the token rights and Token: Introspect, published to one tenant (as seed 000 does for tokens). */
export async function publishTokenAndIntrospectRights(db: Kysely<Database>, orgId: string): Promise<void> {
  const bundleId = newId();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('rights_bundles').values({ id: bundleId, name: `Tokens ${bundleId.slice(0, 8)}`, description: 'Token rights', bundle_key: 'x', read_only: 0, publish_all: 0 }).execute();
    for (const r of [RIGHTS.apiTokensManage, RIGHTS.apiTokensManageAll, RIGHTS.tokenIntrospect]) {
      await trx.insertInto('rights_bundle_rights').values({ rights_bundle_id: bundleId, right_id: rightId(r) }).execute();
    }
    await trx.insertInto('rights_bundle_tenants').values({ rights_bundle_id: bundleId, org_id: orgId }).execute();
    await bumpRbacVersion(trx);
  });
}

export interface World {
  acmeId: string;
  globexId: string;
  /** acme's Organization Administrator (holds Token: Introspect through the published bundle). */
  alice: string;
  /** acme's vApp User: API Tokens: Manage, no introspection. */
  bob: string;
  /** globex's Organization Administrator (holds Token: Introspect). */
  gina: string;
  admin: string;
}

/** Two tenants with the token and introspection rights published, and sessions of their users. */
export async function buildWorld(t: TestServer): Promise<World> {
  const db = t.server.services.db;
  const { orgId: acmeId } = await createTenant(db, 'acme', { alice: 'Organization Administrator', bob: 'vApp User' });
  const { orgId: globexId } = await createTenant(db, 'globex', { gina: 'Organization Administrator' });
  await publishTokenAndIntrospectRights(db, acmeId);
  await publishTokenAndIntrospectRights(db, globexId);
  return {
    acmeId, globexId,
    alice: await login(t.url, 'alice', 'acme', TENANT_PASSWORD),
    bob: await login(t.url, 'bob', 'acme', TENANT_PASSWORD),
    gina: await login(t.url, 'gina', 'globex', TENANT_PASSWORD),
    admin: await loginAdmin(t.url),
  };
}

let counter = 0;
/** A fresh API token of bob (acme) or gina (globex). */
export function freshToken(t: TestServer, w: World, who: 'bob' | 'gina'): Promise<{ id: string; token: string }> {
  counter += 1;
  return createApiToken(t.url, w[who], who === 'bob' ? 'acme' : 'globex', `${who}-${counter}`);
}

import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { uuidFromUrn } from '../common/ids.ts';
import { recordRbacChange, type RbacActor, type RbacDeps } from './rbac-change.ts';
import { describeRef, type RefInput } from './rbac-input.ts';
import { syncPublishedGlobalRolesEverywhere } from './global-role-sync.ts';
import { SYSTEM_ORG_NAME } from './rights-catalog.ts';
import { findPublishable } from './publishable-service.ts';
import type { PublishableKind, PublishableRow } from './publishable-kinds.ts';

/**
 * Publication of global roles and rights bundles to tenant orgs (spec §7.4): publish, unpublish,
 * replace, publishAll, unpublishAll. Only tenant orgs: the provider org is never a publication
 * target (its rights are not limited by bundles and its roles are its own).
 */

/** The orgs the object is published to, as a query over alias `t` (`id`, `name`). */
export function tenantsQuery(db: Kysely<Database>, kind: PublishableKind, row: PublishableRow) {
  let inner = db.selectFrom('orgs').select(['orgs.id as id', 'orgs.name as name']).where('orgs.name', '<>', SYSTEM_ORG_NAME);
  // publishAll: every tenant org, present and future.
  if (row.publish_all !== 1) {
    inner = inner.where('orgs.id', 'in', (eb) => eb.selectFrom(kind.tenantsTable).select(`${kind.tenantsTable}.org_id`).where(kind.ownerColumn, '=', row.id));
  }
  return db.selectFrom(inner.as('t')).selectAll('t');
}

/** Resolves `{name, id}` org references (id as URN or bare UUID wins over name); 400 naming a bad one. */
async function resolveTenantOrgs(db: Kysely<Database>, refs: readonly RefInput[]): Promise<{ id: string; name: string }[]> {
  const orgs = new Map<string, { id: string; name: string }>();
  for (const ref of refs) {
    let org: { id: string; name: string } | undefined;
    if (ref.id !== undefined) {
      const id = uuidFromUrn(ref.id, 'org');
      if (!id) throw new AppError('VALIDATION_FAILED', { message: `${describeRef(ref)} is not an org id (urn:vcloud:org:<uuid>).` });
      org = await db.selectFrom('orgs').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    } else {
      org = await db.selectFrom('orgs').select(['id', 'name']).where('name_lower', '=', (ref.name ?? '').toLowerCase()).executeTakeFirst();
    }
    if (!org) throw new AppError('VALIDATION_FAILED', { message: `The organization "${describeRef(ref)}" does not exist.` });
    if (org.name === SYSTEM_ORG_NAME) throw new AppError('VALIDATION_FAILED', { message: `Publishing to the provider organization ${SYSTEM_ORG_NAME} is not possible: publish to tenant organizations.` });
    orgs.set(org.id, org);
  }
  return [...orgs.values()];
}

async function allTenantOrgIds(db: Kysely<Database>): Promise<string[]> {
  return (await db.selectFrom('orgs').select('id').where('name', '<>', SYSTEM_ORG_NAME).execute()).map((o) => o.id);
}

/**
 * `publish` adds orgs, `unpublish` removes them, `replace` sets the list. Unpublishing from an
 * object published to all first turns "all" into the explicit list of today's tenants (so the
 * call does what it says); `replace` always ends publish-to-all. VCD's own behaviour here is
 * unconfirmed [U].
 */
export async function changeTenants(
  deps: RbacDeps, actor: RbacActor, kind: PublishableKind, id: string, refs: readonly RefInput[], mode: 'publish' | 'unpublish' | 'replace',
): Promise<PublishableRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await findPublishable(trx, kind, id);
    const orgs = await resolveTenantOrgs(trx, refs);
    let current = new Set((await trx.selectFrom(kind.tenantsTable).select('org_id').where(kind.ownerColumn, '=', row.id).execute()).map((r) => r.org_id));
    let publishAll = row.publish_all === 1;
    if (mode === 'replace' || (mode === 'unpublish' && publishAll)) {
      if (mode === 'unpublish') current = new Set(await allTenantOrgIds(trx));
      publishAll = false;
    }
    const wanted = mode === 'replace' ? new Set(orgs.map((o) => o.id))
      : mode === 'publish' ? new Set([...current, ...orgs.map((o) => o.id)])
        : new Set([...current].filter((o) => !orgs.some((x) => x.id === o)));
    await writeTenants(trx, kind, row.id, wanted, publishAll);
    const names = orgs.map((o) => o.name).join(', ');
    await recordRbacChange(trx, deps.clock, actor, {
      event: kind.events.modified, entity: { id: row.id, name: row.name, type: kind.urnType },
      description: `The ${kind.label} "${row.name}" ${mode === 'unpublish' ? 'unpublished from' : mode === 'publish' ? 'published to' : 'now published to'} ${names || 'no organization'}`,
      properties: { 'publication.change': mode, 'publication.orgs': names },
    });
    return { ...row, publish_all: publishAll ? 1 : 0 };
  });
}

/** `publishAll` publishes to every tenant org, present and future; `unpublishAll` withdraws from all. */
export async function setPublishAll(deps: RbacDeps, actor: RbacActor, kind: PublishableKind, id: string, all: boolean): Promise<PublishableRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await findPublishable(trx, kind, id);
    // Explicit rows are meaningless under publishAll and must not resurface after unpublishAll.
    await writeTenants(trx, kind, row.id, new Set(), all);
    await recordRbacChange(trx, deps.clock, actor, {
      event: kind.events.modified, entity: { id: row.id, name: row.name, type: kind.urnType },
      description: `The ${kind.label} "${row.name}" ${all ? 'published to all organizations' : 'unpublished from all organizations'}`,
      properties: { 'publication.change': all ? 'publishAll' : 'unpublishAll' },
    });
    return { ...row, publish_all: all ? 1 : 0 };
  });
}

async function writeTenants(trx: Kysely<Database>, kind: PublishableKind, id: string, orgIds: ReadonlySet<string>, publishAll: boolean): Promise<void> {
  await trx.updateTable(kind.table).set({ publish_all: publishAll ? 1 : 0 }).where('id', '=', id).execute();
  await trx.deleteFrom(kind.tenantsTable).where(kind.ownerColumn, '=', id).execute();
  if (orgIds.size > 0) await trx.insertInto(kind.tenantsTable).values([...orgIds].map((o) => kind.tenantRow(id, o))).execute();
  // A published global role must exist (or stop existing) as a role in each tenant at once.
  if (kind.materialisesRoles) await syncPublishedGlobalRolesEverywhere(trx);
}

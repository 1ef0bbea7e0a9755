import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { newId } from '../common/ids.ts';
import { recordRbacChange, type RbacActor, type RbacDeps } from './rbac-change.ts';
import type { RbacObjectInput, RefInput } from './rbac-input.ts';
import { resolveRightRefs } from './right-refs.ts';
import { syncPublishedGlobalRolesEverywhere } from './global-role-sync.ts';
import type { PublishableKind, PublishableRow } from './publishable-kinds.ts';

/**
 * Create, read, update, delete and the `/rights` sub-resource of global roles and rights bundles
 * (spec §7.4), one implementation for both kinds. Provider-only: callers check that; these
 * objects belong to no org. Publication lives in publication-service.ts.
 */

/** All objects of the kind as a query over alias `o` (for FIQL filters and paging). */
export function publishablesQuery(db: Kysely<Database>, kind: PublishableKind) {
  const inner = db.selectFrom(kind.table).select(['id', 'name', 'description', 'bundle_key', 'read_only', 'publish_all']);
  return db.selectFrom(inner.as('o')).selectAll('o');
}

/** One object; an unknown id is 403, never 404 (spec §5.3). */
export async function findPublishable(db: Kysely<Database>, kind: PublishableKind, id: string): Promise<PublishableRow> {
  const row = await db.selectFrom(kind.table).select(['id', 'name', 'description', 'bundle_key', 'read_only', 'publish_all'])
    .where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

/** No seeded object is read-only today, but the column exists (VCD marks some predefined ones). */
function assertWritable(kind: PublishableKind, row: PublishableRow): void {
  if (row.read_only === 1) throw new AppError('BAD_REQUEST', { message: `The ${kind.label} "${row.name}" is read-only.` });
}

async function assertNameFree(db: Kysely<Database>, kind: PublishableKind, name: string, exceptId?: string): Promise<void> {
  let q = db.selectFrom(kind.table).select('id').where('name', '=', name);
  if (exceptId) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst()) throw new AppError('DUPLICATE_NAME', { message: `A ${kind.label} named "${name}" already exists.` });
}

const entityOf = (kind: PublishableKind, row: { id: string; name: string }) => ({ id: row.id, name: row.name, type: kind.urnType });

export async function createPublishable(deps: RbacDeps, actor: RbacActor, kind: PublishableKind, input: RbacObjectInput): Promise<PublishableRow> {
  return deps.db.transaction().execute(async (trx) => {
    await assertNameFree(trx, kind, input.name);
    const row: PublishableRow = {
      id: newId(), name: input.name, description: input.description, bundle_key: input.bundleKey, read_only: 0, publish_all: input.publishAll ? 1 : 0,
    };
    await trx.insertInto(kind.table).values(row).execute();
    // `publishAll: true` at creation publishes at once (Terraform's publish_to_all_tenants).
    if (kind.materialisesRoles && row.publish_all === 1) await syncPublishedGlobalRolesEverywhere(trx);
    await recordRbacChange(trx, deps.clock, actor, { event: kind.events.created, entity: entityOf(kind, row), description: `The ${kind.label} "${row.name}" was created` });
    return row;
  });
}

/**
 * Name, description and bundle key. `publishAll` in a PUT body is ignored: the Go SDK sends back
 * whatever object it last read, and publication changes only through `/tenants…` (so a stale
 * copy cannot re-publish or withdraw a role by accident).
 */
export async function updatePublishable(deps: RbacDeps, actor: RbacActor, kind: PublishableKind, id: string, input: RbacObjectInput): Promise<PublishableRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await findPublishable(trx, kind, id);
    assertWritable(kind, row);
    await assertNameFree(trx, kind, input.name, row.id);
    const fields = { name: input.name, description: input.description, bundle_key: input.bundleKey };
    await trx.updateTable(kind.table).set(fields).where('id', '=', row.id).execute();
    if (kind.materialisesRoles) await renamePublishedCopies(trx, row.id, fields);
    const updated = { ...row, ...fields };
    await recordRbacChange(trx, deps.clock, actor, {
      event: kind.events.modified, entity: entityOf(kind, updated), description: `The ${kind.label} "${updated.name}" was modified`,
      ...(row.name !== updated.name ? { properties: { previousName: row.name } } : {}),
    });
    return updated;
  });
}

/** Edits of a global role apply in tenants at once (spec §7.4): its copies follow its name too. */
async function renamePublishedCopies(trx: Kysely<Database>, globalRoleId: string, fields: { name: string; description: string; bundle_key: string }): Promise<void> {
  const clash = await trx.selectFrom('roles').innerJoin('orgs', 'orgs.id', 'roles.org_id').select('orgs.name as orgName')
    .where('roles.name', '=', fields.name)
    .where('roles.org_id', 'in', (eb) => eb.selectFrom('roles').select('roles.org_id').where('roles.global_role_id', '=', globalRoleId))
    .where((eb) => eb.or([eb('roles.global_role_id', 'is', null), eb('roles.global_role_id', '<>', globalRoleId)]))
    .executeTakeFirst();
  if (clash) {
    throw new AppError('DUPLICATE_NAME', { message: `The organization "${clash.orgName}" already has a role named "${fields.name}", so the published global role cannot take that name.` });
  }
  await trx.updateTable('roles').set(fields).where('global_role_id', '=', globalRoleId).execute();
}

/**
 * Deletes the object with its rights and publications. A global role whose published copy is
 * still assigned to someone is refused, as for roles (role-service.ts).
 */
export async function deletePublishable(deps: RbacDeps, actor: RbacActor, kind: PublishableKind, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await findPublishable(trx, kind, id);
    assertWritable(kind, row);
    if (kind.materialisesRoles) await assertCopiesUnused(trx, row);
    await trx.deleteFrom(kind.tenantsTable).where(kind.ownerColumn, '=', row.id).execute();
    await trx.deleteFrom(kind.rightsTable).where(kind.ownerColumn, '=', row.id).execute();
    await trx.deleteFrom(kind.table).where('id', '=', row.id).execute();
    if (kind.materialisesRoles) await syncPublishedGlobalRolesEverywhere(trx);
    await recordRbacChange(trx, deps.clock, actor, { event: kind.events.deleted, entity: entityOf(kind, row), description: `The ${kind.label} "${row.name}" was deleted` });
  });
}

async function assertCopiesUnused(trx: Kysely<Database>, row: PublishableRow): Promise<void> {
  const copies = trx.selectFrom('roles').select('roles.id').where('roles.global_role_id', '=', row.id);
  const user = await trx.selectFrom('user_roles').innerJoin('orgs', 'orgs.id', 'user_roles.org_id').select('orgs.name')
    .where('user_roles.role_id', 'in', copies).limit(1).executeTakeFirst();
  const group = user ? undefined : await trx.selectFrom('group_roles').innerJoin('orgs', 'orgs.id', 'group_roles.org_id').select('orgs.name')
    .where('group_roles.role_id', 'in', copies).limit(1).executeTakeFirst();
  const where = user ?? group;
  if (where) {
    throw new AppError('BAD_REQUEST', {
      message: `The global role "${row.name}" is assigned to ${user ? 'users' : 'groups'} in organization "${where.name}"; assign them another role before deleting it.`,
    });
  }
}

/** The object's rights as a query over alias `x` (`id`, `name`). */
export function publishableRightsQuery(db: Kysely<Database>, kind: PublishableKind, id: string) {
  const inner = db.selectFrom(kind.rightsTable).innerJoin('rights', 'rights.id', `${kind.rightsTable}.right_id`)
    .select(['rights.id as id', 'rights.name as name']).where(kind.ownerColumn, '=', id);
  return db.selectFrom(inner.as('x')).selectAll('x');
}

/**
 * Adds rights (`add`, duplicates ignored) or replaces them (`replace`, empty clears). Global role
 * copies read their rights live, so nothing else changes; the version bump reloads everyone's.
 */
export async function changePublishableRights(
  deps: RbacDeps, actor: RbacActor, kind: PublishableKind, id: string, refs: readonly RefInput[], mode: 'add' | 'replace',
): Promise<PublishableRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await findPublishable(trx, kind, id);
    assertWritable(kind, row);
    const rights = await resolveRightRefs(trx, refs);
    const have = new Set((await trx.selectFrom(kind.rightsTable).select('right_id').where(kind.ownerColumn, '=', row.id).execute()).map((r) => r.right_id));
    if (mode === 'replace') await trx.deleteFrom(kind.rightsTable).where(kind.ownerColumn, '=', row.id).execute();
    const toInsert = mode === 'replace' ? rights : rights.filter((r) => !have.has(r.id));
    if (toInsert.length > 0) await trx.insertInto(kind.rightsTable).values(toInsert.map((r) => kind.rightRow(row.id, r.id))).execute();
    await recordRbacChange(trx, deps.clock, actor, {
      event: kind.events.modified, entity: entityOf(kind, row),
      description: mode === 'replace' ? `Rights of the ${kind.label} "${row.name}" replaced (${rights.length} rights)` : `${toInsert.length} rights added to the ${kind.label} "${row.name}"`,
      properties: { 'rights.change': mode, 'rights.count': String(rights.length) },
    });
    return row;
  });
}

import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { OrgContext, Principal } from '../sessions/principal.ts';

/**
 * Whose view of the rights catalogue a request gets (spec §7.1): the provider in its own org sees
 * every right; a tenant, or a provider acting in a tenant through the tenant-context header (the
 * Go SDK's `AdminOrg.GetAllRights`), sees only the rights of the bundles published to that org.
 */
export interface RightsScope {
  readonly orgId: string;
  readonly unrestricted: boolean;
}

export function rightsScopeOf(p: Principal, org: OrgContext): RightsScope {
  return { orgId: org.orgId, unrestricted: p.isProvider && org.orgId === p.orgId };
}

/** Subquery: ids of the rights in bundles published to the org (explicitly or to all). */
export function orgBundleRightIds(eb: ExpressionBuilder<Database, keyof Database>, orgId: string) {
  return eb.selectFrom('rights_bundle_rights')
    .innerJoin('rights_bundles', 'rights_bundles.id', 'rights_bundle_rights.rights_bundle_id')
    .select('rights_bundle_rights.right_id')
    .where((w) => w.or([
      w('rights_bundles.publish_all', '=', 1),
      w('rights_bundles.id', 'in', w.selectFrom('rights_bundle_tenants').select('rights_bundle_tenants.rights_bundle_id').where('rights_bundle_tenants.org_id', '=', orgId)),
    ]));
}

/** The rights a scope may see, as a query over alias `r` (ready for FIQL filters and paging). */
export function visibleRightsQuery(db: Kysely<Database>, scope: RightsScope) {
  let inner = db.selectFrom('rights').select([
    'rights.id', 'rights.name', 'rights.description', 'rights.bundle_key', 'rights.category_id', 'rights.right_type', 'rights.service_namespace',
  ]);
  if (!scope.unrestricted) inner = inner.where('rights.id', 'in', (eb) => orgBundleRightIds(eb, scope.orgId));
  return db.selectFrom(inner.as('r')).selectAll('r');
}

export type RightView = Awaited<ReturnType<ReturnType<typeof visibleRightsQuery>['executeTakeFirstOrThrow']>>;

/** One right if the scope may see it. */
export async function findVisibleRight(db: Kysely<Database>, scope: RightsScope, rightId: string): Promise<RightView | undefined> {
  return visibleRightsQuery(db, scope).where('r.id', '=', rightId).executeTakeFirst();
}

/** A rights category with the counts of the rights the scope sees in it. */
export interface CategoryView {
  id: string;
  name: string;
  bundleKey: string;
  parentId: string | null;
  viewCount: number;
  modifyCount: number;
  subCategoryIds: string[];
}

/**
 * Every category the scope sees, ordered by name. A restricted (tenant) scope sees only the
 * categories holding at least one of its rights, and their parents: the rest would be empty noise
 * and would hint at provider-only features. The catalogue has a few dozen categories, so this
 * runs in memory.
 */
export async function listVisibleCategories(db: Kysely<Database>, scope: RightsScope): Promise<CategoryView[]> {
  const cats = await db.selectFrom('rights_categories').selectAll().orderBy('name').execute();
  const rights = await visibleRightsQuery(db, scope).select(['r.category_id', 'r.right_type']).execute();
  const views = new Map<string, CategoryView>(cats.map((c) => [c.id, {
    id: c.id, name: c.name, bundleKey: c.bundle_key, parentId: c.parent_id, viewCount: 0, modifyCount: 0, subCategoryIds: [],
  }]));
  for (const r of rights) {
    const v = views.get(r.category_id);
    if (!v) continue;
    if (r.right_type === 'VIEW') v.viewCount++;
    else v.modifyCount++;
  }
  for (const v of views.values()) if (v.parentId) views.get(v.parentId)?.subCategoryIds.push(v.id);
  if (scope.unrestricted) return [...views.values()];
  const keep = new Set<string>();
  for (const v of views.values()) {
    if (v.viewCount + v.modifyCount === 0) continue;
    // Walk up to the root so a visible sub-category keeps its parents (bounded against cycles).
    for (let c: CategoryView | undefined = v, hops = 0; c && hops < 32 && !keep.has(c.id); c = c.parentId ? views.get(c.parentId) : undefined, hops++) keep.add(c.id);
  }
  return [...views.values()].filter((v) => keep.has(v.id)).map((v) => ({ ...v, subCategoryIds: v.subCategoryIds.filter((id) => keep.has(id)) }));
}

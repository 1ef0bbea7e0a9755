import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn, type UrnType } from '../../common/ids.ts';
import type { FiqlFieldMap } from '../../fiql/index.ts';
import type { RightView, CategoryView } from '../../rbac/rights-query.ts';
import type { PublishableKind, PublishableRow } from '../../rbac/publishable-kinds.ts';
import type { RbacActor, RbacDeps } from '../../rbac/rbac-change.ts';
import type { AuthedContext, HandlerResult, RequestContext } from '../http/route.ts';

/** Wire shapes of the RBAC objects (spec §7) and the helpers their route modules share. */

/** Right object (spec §7.1). Implied rights are computed client-side, so none are declared. */
export function rightWire(r: RightView) {
  return {
    name: r.name,
    id: toUrn('right', r.id),
    description: r.description,
    bundleKey: r.bundle_key,
    category: toUrn('rightsCategory', r.category_id),
    serviceNamespace: r.service_namespace,
    rightType: r.right_type,
    impliedRights: [],
    isPublishable: true,
  };
}

/** Rights category object (spec §7.1). */
export function categoryWire(c: CategoryView) {
  return {
    name: c.name,
    id: toUrn('rightsCategory', c.id),
    bundleKey: c.bundleKey,
    parent: c.parentId ? toUrn('rightsCategory', c.parentId) : null,
    rightsCount: { view: c.viewCount, modify: c.modifyCount },
    subCategories: c.subCategoryIds.map((id) => toUrn('rightsCategory', id)),
  };
}

/** Role object (spec §7.3). */
export function roleWire(r: { id: string; name: string; description: string; bundle_key: string; read_only: number }) {
  return { id: toUrn('role', r.id), name: r.name, description: r.description, bundleKey: r.bundle_key, readOnly: r.read_only === 1 };
}

/** Global role / rights bundle object (spec §7.4). */
export function publishableWire(kind: PublishableKind, r: PublishableRow) {
  return {
    id: toUrn(kind.urnType, r.id), name: r.name, description: r.description, bundleKey: r.bundle_key,
    readOnly: r.read_only === 1, publishAll: r.publish_all === 1,
  };
}

/** `{name, id}` reference of a right or an org. */
export const refWire = (type: UrnType) => (r: { id: string; name: string }) => ({ name: r.name, id: toUrn(type, r.id) });

const urnMapper = (type: UrnType) => (v: string) => uuidFromUrn(v, type) ?? v;

/** Selectors of `/rights` (the Go SDK filters by name, spec §7.1). */
export const RIGHT_FIELDS: FiqlFieldMap = {
  name: { column: 'r.name' },
  id: { column: 'r.id', map: urnMapper('right') },
  description: { column: 'r.description' },
  bundleKey: { column: 'r.bundle_key' },
  category: { column: 'r.category_id', map: urnMapper('rightsCategory') },
  rightType: { column: 'r.right_type' },
  serviceNamespace: { column: 'r.service_namespace' },
};

/** Selectors of `/roles`. */
export const ROLE_FIELDS: FiqlFieldMap = {
  name: { column: 'ro.name' },
  id: { column: 'ro.id', map: urnMapper('role') },
  description: { column: 'ro.description' },
  bundleKey: { column: 'ro.bundle_key' },
  readOnly: { column: 'ro.read_only', type: 'boolean' },
};

/** Selectors of `/globalRoles` and `/rightsBundles`. */
export const publishableFields = (kind: PublishableKind): FiqlFieldMap => ({
  name: { column: 'o.name' },
  id: { column: 'o.id', map: urnMapper(kind.urnType) },
  description: { column: 'o.description' },
  bundleKey: { column: 'o.bundle_key' },
  readOnly: { column: 'o.read_only', type: 'boolean' },
  publishAll: { column: 'o.publish_all', type: 'boolean' },
});

/** Selectors of `{name, id}` sub-lists (`…/rights` over alias `x`, `…/tenants` over alias `t`). */
export const refFields = (alias: 'x' | 't', type: UrnType): FiqlFieldMap => ({
  name: { column: `${alias}.name` },
  id: { column: `${alias}.id`, map: urnMapper(type) },
});

/** The path's `:id` as a UUID; malformed, like unknown or invisible, is 403 (spec §5.3). */
export function idParam(c: RequestContext, type: UrnType): string {
  const id = uuidFromUrn(c.params.id ?? '', type);
  if (!id) throw new AppError('ACCESS_FORBIDDEN');
  return id;
}

export function rbacDeps(c: AuthedContext): RbacDeps {
  return { db: c.services.db, clock: c.services.clock };
}

export function rbacActor(c: AuthedContext): RbacActor {
  return { principal: c.principal, clientIp: c.clientIp };
}

/**
 * The answer of a rights or tenants write: the resulting list in one page. The Go SDK decodes it
 * as `OpenApiPages` (`G:govcd/roles.go` addRightsToRole, `G:govcd/global_role.go`
 * publishContainerToTenants), so the body must be the paged envelope, never empty (spec §6.1).
 */
export function wholeListResult(values: unknown[]): HandlerResult {
  // No Link headers: they would point at the write endpoint, not at a list.
  const pageCount = values.length > 0 ? 1 : 0;
  return { body: { resultTotal: values.length, pageCount, page: 1, pageSize: Math.max(values.length, 1), associations: null, values } };
}

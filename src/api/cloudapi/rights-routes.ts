import { AppError } from '../../errors/app-error.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { matchesFiql, parseFiql } from '../../fiql/index.ts';
import { findVisibleRight, listVisibleCategories, rightsScopeOf, visibleRightsQuery } from '../../rbac/rights-query.ts';
import { authed, defineRoutes, type AuthedContext, type RequestContext } from '../http/route.ts';
import { pagedResult, readPageParams, runPagedList } from './paged-list.ts';
import { withLiteralSeparators } from './literal-separators.ts';
import { categoryWire, idParam, RIGHT_FIELDS, rightWire } from './rbac-wire.ts';

const RIGHTS_PATH = '/cloudapi/1.0.0/rights';
const CATEGORIES_PATH = '/cloudapi/1.0.0/rightsCategories';

/**
 * Reading the catalogue needs `Right: View` or `Role: View`. The spec names no right for it; a
 * user who may see roles must be able to resolve the rights listed in them, and the Go SDK's role
 * edits look every right up by id first (`G:govcd/roles.go` addRightsToRole). Both are view
 * rights, so token-derived sessions keep them (spec §8.1).
 */
function requireCatalogueView(c: AuthedContext, operation: string): void {
  if (c.principal.rights.has(RIGHTS.rightView) || c.principal.rights.has(RIGHTS.roleView)) return;
  throw new AppError('ACCESS_FORBIDDEN', {
    message: `Either you need some or all of the following rights [${RIGHTS.rightView}] to perform operations [${operation}] or the target entity is invalid.`,
  });
}

const CATEGORY_SELECTORS = ['name', 'id', 'bundleKey', 'parent'] as const;

/** Categories are few: filter, sort and page them in memory with the shared FIQL semantics. */
async function listCategories(c: AuthedContext, ctx: RequestContext) {
  const page = readPageParams(ctx.query);
  const single = (k: string) => {
    const v = ctx.query[k];
    if (Array.isArray(v)) throw new AppError('BAD_REQUEST', { message: `The query parameter ${k} is given more than once.` });
    return v;
  };
  let records = (await listVisibleCategories(c.services.db, rightsScopeOf(c.principal, c.org))).map(categoryWire);
  const filter = single('filter');
  if (filter) {
    const node = parseFiql(filter);
    records = records.filter((r) => matchesFiql(node, r, { selectors: CATEGORY_SELECTORS }));
  }
  const sortAsc = single('sortAsc');
  const sortDesc = single('sortDesc');
  const key = sortAsc ?? sortDesc;
  if (key !== undefined) {
    if (!(CATEGORY_SELECTORS as readonly string[]).includes(key)) {
      throw new AppError('BAD_REQUEST', { message: `Cannot sort by ${key.slice(0, 64)}. Sortable: ${CATEGORY_SELECTORS.join(', ')}.` });
    }
    const k = key as (typeof CATEGORY_SELECTORS)[number];
    records.sort((a, b) => String(a[k] ?? '').localeCompare(String(b[k] ?? '')) * (sortDesc !== undefined ? -1 : 1));
  }
  const start = (page.page - 1) * page.pageSize;
  return pagedResult(ctx, records.slice(start, start + page.pageSize), records.length, page, 'RightsCategories');
}

/** The rights catalogue and its categories (spec §7.1), as the caller's org may see them. */
export const rightsRoutes = defineRoutes([
  {
    id: 'rights.list', method: 'GET', path: RIGHTS_PATH, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = withLiteralSeparators(authed(ctx));
      requireCatalogueView(c, 'rights.list');
      return runPagedList(c, visibleRightsQuery(c.services.db, rightsScopeOf(c.principal, c.org)), {
        fields: RIGHT_FIELDS, defaultSort: 'r.name', model: 'Rights', toWire: rightWire,
      });
    },
  },
  {
    id: 'rights.get', method: 'GET', path: `${RIGHTS_PATH}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      requireCatalogueView(c, 'rights.get');
      const right = await findVisibleRight(c.services.db, rightsScopeOf(c.principal, c.org), idParam(c, 'right'));
      if (!right) throw new AppError('ACCESS_FORBIDDEN');
      return { body: rightWire(right) };
    },
  },
  {
    id: 'rightsCategories.list', method: 'GET', path: CATEGORIES_PATH, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      requireCatalogueView(c, 'rightsCategories.list');
      return listCategories(c, withLiteralSeparators(ctx));
    },
  },
  {
    id: 'rightsCategories.get', method: 'GET', path: `${CATEGORIES_PATH}/:id`, family: 'cloudapi', auth: 'session',
    handler: async (ctx) => {
      const c = authed(ctx);
      requireCatalogueView(c, 'rightsCategories.get');
      const id = idParam(c, 'rightsCategory');
      const category = (await listVisibleCategories(c.services.db, rightsScopeOf(c.principal, c.org))).find((x) => x.id === id);
      if (!category) throw new AppError('ACCESS_FORBIDDEN');
      return { body: categoryWire(category) };
    },
  },
]);

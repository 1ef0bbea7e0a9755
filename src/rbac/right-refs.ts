import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { uuidFromUrn } from '../common/ids.ts';
import { loadOrgBundleRights } from './effective-rights.ts';
import { describeRef, type RefInput } from './rbac-input.ts';

/** A right as stored: its UUID and name. */
export interface RightRef {
  id: string;
  name: string;
}

/**
 * Resolves `{name, id}` references to catalogue rights, without duplicates (spec §7.3: POST
 * ignores duplicates; the Go SDK's RemoveRights even sends some twice). The id wins when both are
 * given (the Go SDK sends both, taken from GET /rights). Unknown rights are a 400 naming them.
 */
export async function resolveRightRefs(db: Kysely<Database>, refs: readonly RefInput[]): Promise<RightRef[]> {
  if (refs.length === 0) return [];
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const ref of refs) {
    if (ref.id !== undefined) {
      const id = uuidFromUrn(ref.id, 'right');
      if (!id) throw new AppError('VALIDATION_FAILED', { message: `${describeRef(ref)} is not a right id (urn:vcloud:right:<uuid>).` });
      ids.add(id);
    } else if (ref.name !== undefined) {
      names.add(ref.name);
    }
  }
  const rows = await db.selectFrom('rights').select(['id', 'name'])
    .where((eb) => eb.or([
      ...(ids.size > 0 ? [eb('id', 'in', [...ids])] : []),
      ...(names.size > 0 ? [eb('name', 'in', [...names])] : []),
    ]))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byName = new Map(rows.map((r) => [r.name, r]));
  const resolved = new Map<string, RightRef>();
  for (const ref of refs) {
    const row = ref.id !== undefined ? byId.get(uuidFromUrn(ref.id, 'right') ?? '') : byName.get(ref.name ?? '');
    if (!row) throw new AppError('VALIDATION_FAILED', { message: `The right "${describeRef(ref)}" does not exist.` });
    resolved.set(row.id, row);
  }
  return [...resolved.values()];
}

/**
 * A tenant org may only put into its roles the rights its published rights bundles contain
 * (spec §7.4: a bundle limits which rights a tenant may use at all). 400 naming the first one.
 */
export async function assertRightsAllowedInOrg(db: Kysely<Database>, orgId: string, rights: readonly RightRef[]): Promise<void> {
  if (rights.length === 0) return;
  const allowed = await loadOrgBundleRights(db, orgId);
  const refused = rights.find((r) => !allowed.has(r.name));
  if (refused) {
    throw new AppError('VALIDATION_FAILED', {
      message: `The right "${refused.name}" is not available to this organization: no rights bundle published to it contains it.`,
    });
  }
}

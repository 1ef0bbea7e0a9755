import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { uuidFromUrn } from '../common/ids.ts';

/** A role named by a client: `{id}` (URN or UUID) and/or `{name}` as in roleEntityRefs. */
export interface RoleRefInput {
  id?: string | null | undefined;
  name?: string | null | undefined;
}

/**
 * Resolves role references to ids of roles of `orgId`. The id wins when given; a bare name is
 * looked up in the org (the XML API and scripts often know only the name). A role of another
 * org, or an unknown one, is a 400: assignment never crosses orgs.
 */
export async function resolveRoleRefs(db: Kysely<Database>, orgId: string, refs: readonly RoleRefInput[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const ref of refs) {
    let row: { id: string } | undefined;
    if (ref.id) {
      const id = uuidFromUrn(ref.id, 'role');
      if (id) row = await db.selectFrom('roles').select('id').where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
    } else if (ref.name) {
      row = await db.selectFrom('roles').select('id').where('name', '=', ref.name).where('org_id', '=', orgId).executeTakeFirst();
    }
    if (!row) {
      const label = (ref.id ?? ref.name ?? '').slice(0, 128);
      throw new AppError('VALIDATION_FAILED', { message: `Role "${label}" does not exist in this organization.` });
    }
    ids.add(row.id);
  }
  return [...ids];
}

/** Role refs of many users or groups at once (list pages): owner id → [{id, name}]. */
export async function loadAssignedRoles(
  db: Kysely<Database>, kind: 'user' | 'group', orgId: string, ownerIds: readonly string[],
): Promise<Map<string, { id: string; name: string }[]>> {
  const out = new Map<string, { id: string; name: string }[]>();
  if (ownerIds.length === 0) return out;
  const rows = kind === 'user'
    ? await db.selectFrom('user_roles as a').innerJoin('roles as r', 'r.id', 'a.role_id')
      .select(['a.user_id as owner', 'r.id', 'r.name']).where('a.org_id', '=', orgId).where('a.user_id', 'in', ownerIds)
      .orderBy('r.name').execute()
    : await db.selectFrom('group_roles as a').innerJoin('roles as r', 'r.id', 'a.role_id')
      .select(['a.group_id as owner', 'r.id', 'r.name']).where('a.org_id', '=', orgId).where('a.group_id', 'in', ownerIds)
      .orderBy('r.name').execute();
  for (const r of rows) {
    const list = out.get(r.owner) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.owner, list);
  }
  return out;
}

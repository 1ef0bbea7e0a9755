import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';

const GR = { table: 'global_roles', rightsTable: 'global_role_rights', owner: 'global_role_id',
  rightRow: (o: string, r: string) => ({ global_role_id: o, right_id: r }) } as const;
const RB = { table: 'rights_bundles', rightsTable: 'rights_bundle_rights', owner: 'rights_bundle_id',
  rightRow: (o: string, r: string) => ({ rights_bundle_id: o, right_id: r }) } as const;
type AnyKind = typeof GR | typeof RB;

export async function f(db: Kysely<Database>, k: AnyKind, id: string) {
  await db.insertInto(k.rightsTable).values(k.rightRow(id, 'x')).execute();
  await db.insertInto(k.rightsTable).values([k.rightRow(id, 'x')]).execute();
}

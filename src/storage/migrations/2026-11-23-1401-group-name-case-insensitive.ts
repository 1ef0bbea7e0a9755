import { sql, type Kysely } from 'kysely';
import { duplicateRenames } from './duplicate-renames.ts';

/**
 * Group names are unique per org without regard to case, as the group service already checks
 * (`lower(name)`); the table's own key (`groups_org_name`) compared them case-sensitively, so two
 * racing creates of "Ops" and "ops" could both succeed. An expression index closes that race on
 * both engines; the loser answers DUPLICATE_NAME (src/storage/unique-violation.ts).
 *
 * Groups that an earlier race left differing only in case are renamed first, oldest id kept
 * (groups have no creation time), the others suffixed " (2)", " (3)", …; ids, members and roles
 * are untouched.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const d = db as unknown as Kysely<{ groups: { id: string; org_id: string; name: string } }>;
  const clashes = await d.selectFrom('groups').select('org_id')
    .groupBy(['org_id', sql`lower(name)`]).having((eb) => eb.fn.countAll(), '>', 1).execute();
  for (const orgId of new Set(clashes.map((c) => c.org_id))) {
    const inOrg = await d.selectFrom('groups').select(['id', 'name']).where('org_id', '=', orgId).orderBy('id').execute();
    for (const r of duplicateRenames(inOrg, (name) => name.toLowerCase())) await d.updateTable('groups').set({ name: r.name }).where('id', '=', r.id).execute();
  }
  await db.schema.createIndex('groups_org_name_lower').on('groups').unique().columns(['org_id']).expression(sql`lower(name)`).execute();
}

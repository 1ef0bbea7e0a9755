import { sql, type Kysely } from 'kysely';

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
  const clashes = await d.selectFrom('groups').select(['org_id', sql<string>`lower(name)`.as('lname')])
    .groupBy(['org_id', sql`lower(name)`]).having((eb) => eb.fn.countAll(), '>', 1).execute();
  for (const c of clashes) {
    const inOrg = await d.selectFrom('groups').select(['id', 'name']).where('org_id', '=', c.org_id).orderBy('id').execute();
    const taken = new Set(inOrg.map((g) => g.name.toLowerCase()));
    let n = 2;
    for (const g of inOrg.filter((x) => x.name.toLowerCase() === c.lname).slice(1)) {
      while (taken.has(`${c.lname} (${n})`)) n++;
      taken.add(`${c.lname} (${n})`);
      await d.updateTable('groups').set({ name: `${g.name} (${n})` }).where('id', '=', g.id).execute();
    }
  }
  await db.schema.createIndex('groups_org_name_lower').on('groups').unique().columns(['org_id']).expression(sql`lower(name)`).execute();
}

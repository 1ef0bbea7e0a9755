import type { Kysely } from 'kysely';
import { duplicateRenames } from './duplicate-renames.ts';

/**
 * VDC names are unique per org, vApp names per VDC, VM names per vApp (what the inventory service
 * checks before each create, src/inventory/create-inventory.ts). Unique indexes make that hold
 * when two creates race too; the loser answers DUPLICATE_NAME (src/storage/unique-violation.ts).
 * Duplicates an earlier race left are renamed first, lowest id kept, the others suffixed " (2)",
 * " (3)", …; ids and everything that refers to them are untouched.
 */
const KEYS = [
  { table: 'vdcs', scope: 'org_id', index: 'vdcs_org_name' },
  { table: 'vapps', scope: 'vdc_id', index: 'vapps_vdc_name' },
  { table: 'vms', scope: 'vapp_id', index: 'vms_vapp_name' },
] as const;

type Named = { id: string; name: string; org_id: string; vdc_id: string; vapp_id: string };

export async function up(db: Kysely<unknown>): Promise<void> {
  const d = db as unknown as Kysely<Record<string, Named>>;
  for (const key of KEYS) {
    const clashes = await d.selectFrom(key.table).select([key.scope, 'name'])
      .groupBy([key.scope, 'name']).having((eb) => eb.fn.countAll(), '>', 1).execute();
    for (const scopeId of new Set(clashes.map((c) => (c as Record<string, string>)[key.scope]!))) {
      const siblings = await d.selectFrom(key.table).select(['id', 'name']).where(key.scope, '=', scopeId).orderBy('id').execute();
      for (const r of duplicateRenames(siblings)) await d.updateTable(key.table).set({ name: r.name }).where('id', '=', r.id).execute();
    }
    await db.schema.createIndex(key.index).on(key.table).columns([key.scope, 'name']).unique().execute();
  }
}

import { sql, type Kysely } from 'kysely';
import { duplicateRenames } from './duplicate-renames.ts';

/**
 * A user's live API tokens have distinct names (issue 3: register refuses a taken name), now also
 * when two registrations race: a partial unique index over live tokens (revoked ones keep their
 * names and do not count), on both engines. Registration checks first; the loser of a race hits
 * this index and answers DUPLICATE_NAME (src/storage/unique-violation.ts).
 *
 * Before this index a race could leave two live tokens of one user with one name. Those are
 * renamed, oldest kept, the others suffixed " (2)", " (3)", …, so the index can be built; ids and
 * secrets are untouched, so automation using them keeps working.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const d = db as unknown as Kysely<{ api_tokens: { id: string; org_id: string; user_id: string; name: string; created_at: string; revoked_at: string | null } }>;
  const clashes = await d.selectFrom('api_tokens').select(['org_id', 'user_id', 'name'])
    .where('revoked_at', 'is', null).groupBy(['org_id', 'user_id', 'name']).having((eb) => eb.fn.countAll(), '>', 1).execute();
  for (const c of clashes) {
    // The user's live tokens, oldest first: the oldest keeps the name.
    const live = await d.selectFrom('api_tokens').select(['id', 'name']).where('org_id', '=', c.org_id).where('user_id', '=', c.user_id)
      .where('revoked_at', 'is', null).orderBy('created_at').orderBy('id').execute();
    for (const r of duplicateRenames(live)) await d.updateTable('api_tokens').set({ name: r.name }).where('id', '=', r.id).execute();
  }
  await db.schema.createIndex('api_tokens_live_name').on('api_tokens').columns(['org_id', 'user_id', 'name']).unique()
    .where(sql.ref('revoked_at'), 'is', null).execute();
}

import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { OrgScope } from './access.ts';

/**
 * A task as stored: `operation` holds VCD's operationName (`vappPowerOn`), `entity_id` the URN of
 * the object the task ran on (its XML `Owner`, so the entity type travels with it) and `owner_id`
 * the user who started it (its XML `User`).
 */
export interface TaskView {
  id: string;
  orgId: string;
  orgName: string;
  operation: string;
  status: string;
  userId: string | null;
  userName: string | null;
  entityUrn: string;
  entityName: string;
  startedAt: string;
  endedAt: string | null;
}

/** One task within the scope, with its org and user names, or undefined. */
export async function findTask(db: Kysely<Database>, scope: OrgScope, taskId: string): Promise<TaskView | undefined> {
  let q = db.selectFrom('tasks')
    .innerJoin('orgs', 'orgs.id', 'tasks.org_id')
    .leftJoin('users', 'users.id', 'tasks.owner_id')
    .select([
      'tasks.id', 'tasks.org_id', 'orgs.name as org_name', 'tasks.operation', 'tasks.status', 'tasks.owner_id',
      'users.username', 'tasks.entity_id', 'tasks.entity_name', 'tasks.started_at', 'tasks.ended_at',
    ])
    .where('tasks.id', '=', taskId);
  if (scope.kind === 'org') q = q.where('tasks.org_id', '=', scope.orgId);
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id, orgId: row.org_id, orgName: row.org_name, operation: row.operation, status: row.status,
    userId: row.owner_id, userName: row.username, entityUrn: row.entity_id, entityName: row.entity_name,
    startedAt: row.started_at, endedAt: row.ended_at,
  };
}

import type { Kysely } from 'kysely';
import type { Database, OrgRow } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { SYSTEM_ORG_NAME } from '../rbac/rights-catalog.ts';
import { bumpRbacVersion, syncPublishedGlobalRoles } from '../rbac/global-role-sync.ts';
import { auditActorIn, type Acting } from '../identity/acting.ts';

export interface OrgDeps {
  db: Kysely<Database>;
  clock: Clock;
}

export interface NewOrg {
  name: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
  requireMfa: boolean;
}

export type OrgChanges = Partial<NewOrg>;

/**
 * Org names are path segments: `/oauth/tenant/<name>/…` and the `user@org` of Basic logins
 * (spec §3.1, §4.1). So 1–128 of [A-Za-z0-9_.-]: nothing that needs escaping, no '@' or ':'.
 */
const ORG_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function checkOrgText(field: string, value: string, max: number): string {
  if (value.length > max || CONTROL_CHARS.test(value.replace(/[\n\r\t]/g, ' '))) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be at most ${max} printable characters.` });
  }
  return value;
}

function providerOrgOf(acting: Acting) {
  return { id: acting.principal.orgId, name: acting.principal.orgName };
}

/** Creates a tenant org with the global roles published to all orgs (spec §7.4). */
export async function createOrg(deps: OrgDeps, acting: Acting, input: NewOrg): Promise<string> {
  if (!ORG_NAME.test(input.name) || input.name === '.' || input.name === '..') {
    throw new AppError('VALIDATION_FAILED', { message: 'name must be 1 to 128 characters of A-Z, a-z, 0-9, "_", "." and "-".' });
  }
  checkOrgText('displayName', input.displayName, 256);
  checkOrgText('description', input.description, 4096);
  return deps.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('orgs').select('id').where('name_lower', '=', input.name.toLowerCase()).executeTakeFirst();
    if (clash) throw new AppError('DUPLICATE_NAME', { message: `An organization named "${input.name}" already exists.` });
    const id = newId();
    await trx.insertInto('orgs').values({
      id, name: input.name, name_lower: input.name.toLowerCase(), display_name: input.displayName || input.name,
      description: input.description, is_enabled: input.isEnabled ? 1 : 0, require_mfa: input.requireMfa ? 1 : 0,
      created_at: deps.clock.now().toISOString(),
    }).execute();
    await syncPublishedGlobalRoles(trx, id);
    await appendAuditEvent(trx, {
      event: 'org.created', at: deps.clock.now(), actor: auditActorIn(acting, providerOrgOf(acting)),
      entity: { id, name: input.name, type: 'org' }, description: `Organization ${input.name} created`,
    });
    return id;
  });
}

/**
 * Edits display name, description, enabled and requireMfa. The name is immutable: it is in
 * every API-token path and login of the org. Disabling ends the org's sessions, interactive and
 * token-derived alike (they are refused anyway while disabled; ending them keeps them dead after
 * re-enabling). Turning requireMfa on
 * ends the interactive sessions of users without a second factor, so they must enrol at their
 * next login; API tokens are unaffected (they exist for automation behind MFA, seed 000).
 */
export async function updateOrg(deps: OrgDeps, acting: Acting, org: OrgRow, changes: OrgChanges): Promise<void> {
  if (changes.name !== undefined && changes.name !== org.name) {
    throw new AppError('VALIDATION_FAILED', { message: 'The name of an organization cannot be changed.' });
  }
  if (changes.isEnabled === false && org.name === SYSTEM_ORG_NAME) {
    throw new AppError('VALIDATION_FAILED', { message: 'The System organization cannot be disabled.' });
  }
  if (changes.displayName !== undefined) checkOrgText('displayName', changes.displayName, 256);
  if (changes.description !== undefined) checkOrgText('description', changes.description, 4096);
  const set: Partial<Pick<OrgRow, 'display_name' | 'description' | 'is_enabled' | 'require_mfa'>> = {};
  if (changes.displayName !== undefined) set.display_name = changes.displayName || org.name;
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.isEnabled !== undefined) set.is_enabled = changes.isEnabled ? 1 : 0;
  if (changes.requireMfa !== undefined) set.require_mfa = changes.requireMfa ? 1 : 0;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (Object.keys(set).length > 0) await trx.updateTable('orgs').set(set).where('id', '=', org.id).execute();
    if (set.is_enabled === 0 && org.is_enabled === 1) {
      await trx.updateTable('sessions').set({ ended_at: now.toISOString() }).where('org_id', '=', org.id).where('ended_at', 'is', null).execute();
      // Token-derived sessions have no row: they carry their owner's session epoch, so moving every
      // user's epoch on ends them too, on every cell at its next request (issue 15 §4). An exchange
      // that read the org as enabled just before this commit signs the old epoch, so its token is
      // dead as well. The API tokens themselves stay valid and exchange again once re-enabled.
      await trx.updateTable('users').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) })).where('org_id', '=', org.id).execute();
      // Service accounts' access tokens carry their account's epoch the same way (issue 16).
      await trx.updateTable('service_accounts').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) })).where('org_id', '=', org.id).execute();
    }
    if (set.require_mfa === 1 && org.require_mfa === 0) {
      await trx.updateTable('sessions').set({ ended_at: now.toISOString() })
        .where('org_id', '=', org.id).where('ended_at', 'is', null).where('api_token_id', 'is', null)
        .where('id', '<>', acting.principal.sessionId)
        .where('user_id', 'in', trx.selectFrom('users').select('id').where('org_id', '=', org.id).where('totp_enabled', '=', 0))
        .execute();
    }
    const changed = Object.keys(changes).filter((k) => k !== 'name').join(', ') || 'nothing';
    await appendAuditEvent(trx, {
      event: 'org.modified', at: now, actor: auditActorIn(acting, providerOrgOf(acting)),
      entity: { id: org.id, name: org.name, type: 'org' }, description: `Organization ${org.name} modified (${changed})`,
      properties: { 'org.isEnabled': String((set.is_enabled ?? org.is_enabled) === 1), 'org.requireMfa': String((set.require_mfa ?? org.require_mfa) === 1) },
    });
  });
}

/**
 * Deletes an empty tenant org. The System org, and orgs that still have users or inventory, are
 * refused with 400: deleting them would cut off people or orphan VMs; delete those first.
 */
export async function deleteOrg(deps: OrgDeps, acting: Acting, org: OrgRow): Promise<void> {
  if (org.name === SYSTEM_ORG_NAME) throw new AppError('VALIDATION_FAILED', { message: 'The System organization cannot be deleted.' });
  await deps.db.transaction().execute(async (trx) => {
    for (const table of ['users', 'vdcs', 'vapps', 'vms'] as const) {
      const any = await trx.selectFrom(table).select('id').where('org_id', '=', org.id).executeTakeFirst();
      if (any) {
        throw new AppError('VALIDATION_FAILED', { message: `Organization ${org.name} still has ${table === 'users' ? 'users' : 'inventory (VDCs, vApps or VMs)'}: delete them first.` });
      }
    }
    const localRoles = trx.selectFrom('roles').select('id').where('org_id', '=', org.id);
    await trx.deleteFrom('role_rights').where('role_id', 'in', localRoles).execute();
    for (const table of ['group_members', 'group_roles', 'user_roles', 'groups', 'roles', 'global_role_tenants', 'rights_bundle_tenants', 'sessions', 'api_tokens', 'api_token_policies', 'service_account_refresh_tokens', 'service_accounts', 'tasks'] as const) {
      await trx.deleteFrom(table).where('org_id', '=', org.id).execute();
    }
    await trx.deleteFrom('orgs').where('id', '=', org.id).execute();
    await bumpRbacVersion(trx);
    await appendAuditEvent(trx, {
      event: 'org.deleted', at: deps.clock.now(), actor: auditActorIn(acting, providerOrgOf(acting)),
      entity: { id: org.id, name: org.name, type: 'org' }, description: `Organization ${org.name} deleted`,
    });
  });
}

import type { Kysely } from 'kysely';
import type { Database, UserRow, UserUpdate } from '../storage/database.ts';
import type { Clock } from '../common/clock.ts';
import { newId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent } from '../audit/audit-writer.ts';
import { bumpRbacVersion } from '../rbac/global-role-sync.ts';
import type { FailureLimiter } from '../security/rate-limiter.ts';
import { loginLimitKeys } from './known-addresses.ts';
import { loadOrgRef } from '../tenancy/org-queries.ts';
import { auditActorIn, type Acting, type OrgScope } from './acting.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { resolveRoleRefs, type RoleRefInput } from './role-refs.ts';
import { checkPassword, checkQuota, checkText, checkUsername } from './user-rules.ts';
import { cutOffUser, endUserSessions } from './user-access.ts';

export interface UserDeps {
  db: Kysely<Database>;
  clock: Clock;
  passwords: PasswordHasher;
}

export interface NewUser {
  username: string;
  password: string;
  fullName: string;
  description: string;
  email: string;
  enabled: boolean;
  deployedVmQuota: number;
  storedVmQuota: number;
  roles: readonly RoleRefInput[];
}

/** A PUT changes only what it names (absent = unchanged); `roles` present replaces the set. */
export type UserChanges = Partial<Omit<NewUser, 'roles'>> & { locked?: boolean; roles?: readonly RoleRefInput[] };

/** A user the scope may address, or 403 ACCESS_TO_RESOURCE_IS_FORBIDDEN (spec §5.3). */
export async function findUserInScope(db: Kysely<Database>, scope: OrgScope, userId: string): Promise<UserRow> {
  let q = db.selectFrom('users').selectAll().where('id', '=', userId);
  if (!scope.anyOrg) q = q.where('org_id', '=', scope.orgId);
  const row = await q.executeTakeFirst();
  if (!row) throw new AppError('ACCESS_FORBIDDEN');
  return row;
}

async function loadUser(db: Kysely<Database>, orgId: string, userId: string): Promise<UserRow> {
  return db.selectFrom('users').selectAll().where('id', '=', userId).where('org_id', '=', orgId).executeTakeFirstOrThrow();
}

async function replaceUserRoles(trx: Kysely<Database>, user: { id: string; org_id: string }, roles: readonly RoleRefInput[]): Promise<void> {
  const roleIds = await resolveRoleRefs(trx, user.org_id, roles);
  await trx.deleteFrom('user_roles').where('user_id', '=', user.id).where('org_id', '=', user.org_id).execute();
  for (const roleId of roleIds) await trx.insertInto('user_roles').values({ user_id: user.id, role_id: roleId, org_id: user.org_id }).execute();
  await bumpRbacVersion(trx);
}

/** Creates a local user in `orgId` with a password and roles of that org. */
export async function createUser(deps: UserDeps, acting: Acting, orgId: string, input: NewUser): Promise<UserRow> {
  checkUsername(input.username);
  checkPassword(input.password);
  checkText('fullName', input.fullName, 256);
  checkText('description', input.description, 4096);
  checkText('email', input.email, 320);
  checkQuota('deployedVmQuota', input.deployedVmQuota);
  checkQuota('storedVmQuota', input.storedVmQuota);
  const org = await loadOrgRef(deps.db, orgId);
  // Hash outside the transaction: hashing is slow on purpose and SQLite has one writer.
  const passwordHash = await deps.passwords.hash(input.password);
  return deps.db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('users').select('id').where('org_id', '=', orgId)
      .where('username_lower', '=', input.username.toLowerCase()).executeTakeFirst();
    if (clash) throw new AppError('DUPLICATE_NAME', { message: `A user named "${input.username}" already exists in this organization.` });
    const id = newId();
    await trx.insertInto('users').values({
      id, org_id: orgId, username: input.username, username_lower: input.username.toLowerCase(), full_name: input.fullName,
      description: input.description, email: input.email, password_hash: passwordHash, enabled: input.enabled ? 1 : 0,
      locked: 0, provider_type: 'LOCAL', totp_secret: null, totp_pending_secret: null, totp_enabled: 0, totp_last_step: 0,
      totp_failures: 0, deployed_vm_quota: input.deployedVmQuota, stored_vm_quota: input.storedVmQuota,
      created_at: deps.clock.now().toISOString(),
    }).execute();
    await replaceUserRoles(trx, { id, org_id: orgId }, input.roles);
    await appendAuditEvent(trx, {
      event: 'user.created', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id, name: input.username, type: 'user' }, description: `User ${input.username} created in ${org.name}`,
    });
    return loadUser(trx, orgId, id);
  });
}

function checkChanges(acting: Acting, user: UserRow, c: UserChanges): void {
  if (c.username !== undefined && c.username !== user.username) {
    throw new AppError('VALIDATION_FAILED', { message: 'The user name cannot be changed.' });
  }
  if (c.enabled === false && user.id === acting.principal.userId) {
    throw new AppError('VALIDATION_FAILED', { message: 'You cannot disable your own account.' });
  }
  if (c.locked === true && user.locked === 0) {
    throw new AppError('VALIDATION_FAILED', { message: 'Accounts are locked out by failed second-factor codes only; locked can only be set to false (unlock). To stop a user and their API tokens, disable the user.' });
  }
  if (c.password !== undefined) checkPassword(c.password);
  if (c.fullName !== undefined) checkText('fullName', c.fullName, 256);
  if (c.description !== undefined) checkText('description', c.description, 4096);
  if (c.email !== undefined) checkText('email', c.email, 320);
  if (c.deployedVmQuota !== undefined) checkQuota('deployedVmQuota', c.deployedVmQuota);
  if (c.storedVmQuota !== undefined) checkQuota('storedVmQuota', c.storedVmQuota);
}

/**
 * Edits a user. Disabling ends every session and revokes every API token (issue 3). Unlocking
 * resets the second-factor failure count. A password set by an administrator ends all the user's
 * sessions but the caller's own (the user must log in with the new password); API tokens stay
 * valid, as they are credentials of their own (revoke them explicitly or disable the user).
 */
export async function updateUser(deps: UserDeps, acting: Acting, user: UserRow, c: UserChanges): Promise<UserRow> {
  checkChanges(acting, user, c);
  const org = await loadOrgRef(deps.db, user.org_id);
  const passwordHash = c.password !== undefined ? await deps.passwords.hash(c.password) : undefined;
  const set: UserUpdate = {};
  if (c.fullName !== undefined) set.full_name = c.fullName;
  if (c.description !== undefined) set.description = c.description;
  if (c.email !== undefined) set.email = c.email;
  if (c.enabled !== undefined) set.enabled = c.enabled ? 1 : 0;
  if (c.locked === false) Object.assign(set, { locked: 0, locked_until: null, totp_failures: 0 });
  if (c.deployedVmQuota !== undefined) set.deployed_vm_quota = c.deployedVmQuota;
  if (c.storedVmQuota !== undefined) set.stored_vm_quota = c.storedVmQuota;
  if (passwordHash !== undefined) set.password_hash = passwordHash;
  const now = deps.clock.now();
  const actor = auditActorIn(acting, org);
  const entity = { id: user.id, name: user.username, type: 'user' };
  return deps.db.transaction().execute(async (trx) => {
    if (Object.keys(set).length > 0) await trx.updateTable('users').set(set).where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    if (c.roles !== undefined) await replaceUserRoles(trx, user, c.roles);
    if (set.enabled !== undefined && set.enabled !== user.enabled) {
      await bumpRbacVersion(trx);
      if (set.enabled === 0) await cutOffUser(trx, deps.clock, acting, user, org, 'disabled');
    }
    if (passwordHash !== undefined) {
      await endUserSessions(trx, deps.clock, user, acting.principal.sessionId);
      await appendAuditEvent(trx, { event: 'user.password_changed', at: now, actor, entity, description: `Password of ${user.username} set by ${acting.principal.username}@${acting.principal.orgName}` });
    }
    const fields = Object.keys(c).filter((k) => k !== 'password' && k !== 'username');
    if (fields.length > 0) {
      const what = [set.enabled === 0 && user.enabled === 1 ? 'disabled' : '', set.locked === 0 && user.locked === 1 ? 'unlocked' : ''].filter(Boolean);
      await appendAuditEvent(trx, {
        event: 'user.modified', at: now, actor, entity,
        description: `User ${user.username} modified (${fields.join(', ')})${what.length > 0 ? `: ${what.join(', ')}` : ''}`,
      });
    }
    return loadUser(trx, user.org_id, user.id);
  });
}

/** Deletes a user: sessions end and API tokens are revoked in the same transaction (issue 3). */
export async function deleteUser(deps: UserDeps, acting: Acting, user: UserRow): Promise<void> {
  if (user.id === acting.principal.userId) throw new AppError('VALIDATION_FAILED', { message: 'You cannot delete your own account.' });
  const org = await loadOrgRef(deps.db, user.org_id);
  await deps.db.transaction().execute(async (trx) => {
    await cutOffUser(trx, deps.clock, acting, user, org, 'deleted');
    await trx.deleteFrom('user_roles').where('user_id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await trx.deleteFrom('group_members').where('user_id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await trx.deleteFrom('login_known_addresses').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('users').where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await bumpRbacVersion(trx);
    await appendAuditEvent(trx, {
      event: 'user.deleted', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' }, description: `User ${user.username} deleted from ${org.name}`,
    });
  });
}

/**
 * Self-service password change: the current password must be given (a stolen session alone
 * cannot take over the account). Wrong guesses count against the login rate limit, under the key
 * of the user at this address (the caller holds a session from here, so wrong passwords others
 * send to the login endpoint cannot block the change, issue 15); the guess takes its place under
 * the limit before the hash is computed, so parallel guesses are limited too. The user's other
 * sessions end; this one keeps working.
 */
export async function changeOwnPassword(
  deps: UserDeps & { limiter: FailureLimiter }, acting: Acting, oldPassword: string, newPassword: string,
): Promise<void> {
  const p = acting.principal;
  const user = await loadUser(deps.db, p.orgId, p.userId);
  // The login's keys plus one of the change's own per user: a session is a bearer credential not
  // tied to an address, so a stolen one guessing from many addresses meets one limit; logins sent
  // by others never fill it (issue 15).
  const attempt = await deps.limiter.reserve([
    ...loginLimitKeys(p.orgName, p.username, acting.clientIp, true), `password-change-user:${p.orgId}/${p.userId}`,
  ]);
  let failed = false;
  try {
    if (!(await deps.passwords.verify(oldPassword, user.password_hash))) {
      failed = true;
      throw new AppError('VALIDATION_FAILED', { message: 'oldPassword is not your current password.' });
    }
  } finally {
    await (failed ? attempt.fail() : attempt.release());
  }
  checkPassword(newPassword);
  const passwordHash = await deps.passwords.hash(newPassword);
  const org = await loadOrgRef(deps.db, p.orgId);
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).where('org_id', '=', user.org_id).execute();
    await endUserSessions(trx, deps.clock, user, p.sessionId);
    await appendAuditEvent(trx, {
      event: 'user.password_changed', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' }, description: `User ${user.username} changed their password`,
    });
  });
}

/**
 * XML `POST /api/admin/user/{id}/action/takeOwnership` (spec §7.6): the caller becomes owner of
 * the user's vApps and VMs, so deleting the user orphans nothing (Terraform deletes users this way).
 */
export async function takeOwnership(deps: UserDeps, acting: Acting, user: UserRow): Promise<void> {
  const org = await loadOrgRef(deps.db, user.org_id);
  await deps.db.transaction().execute(async (trx) => {
    for (const table of ['vapps', 'vms'] as const) {
      await trx.updateTable(table).set({ owner_id: acting.principal.userId }).where('owner_id', '=', user.id).where('org_id', '=', user.org_id).execute();
    }
    await appendAuditEvent(trx, {
      event: 'user.modified', at: deps.clock.now(), actor: auditActorIn(acting, org),
      entity: { id: user.id, name: user.username, type: 'user' },
      description: `Ownership of the vApps and VMs of ${user.username} taken by ${acting.principal.username}@${acting.principal.orgName}`,
    });
  });
}

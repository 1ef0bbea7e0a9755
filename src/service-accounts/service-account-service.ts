import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/database.ts';
import { isUuid, newId } from '../common/ids.ts';
import { AppError } from '../errors/app-error.ts';
import { appendAuditEvent, auditActorOf, filedUnderOrg } from '../audit/audit-writer.ts';
import type { Principal } from '../sessions/principal.ts';
import { RIGHTS } from '../rbac/rights-catalog.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';
import { uniqueViolationOf } from '../storage/unique-violation.ts';
import { pathNamesOrg, type ServiceAccountDeps, type ServiceAccountStatus } from './service-account-context.ts';
import { roleOfScope } from './role-scope.ts';

/** A service account as services return it (the wire shape is api/cloudapi/service-accounts-routes.ts). */
export interface ServiceAccountView {
  id: string;
  name: string;
  softwareId: string;
  softwareVersion: string | null;
  clientUri: string | null;
  roleId: string;
  roleName: string | null;
  orgId: string;
  orgName: string;
  status: ServiceAccountStatus;
  createdAt: string;
}

/** Changeable fields (spec §5.7 step 9): role, uri, software id and version. */
export interface ServiceAccountUpdate {
  name?: unknown;
  role?: unknown;
  uri?: unknown;
  softwareId?: unknown;
  softwareVersion?: unknown;
}

const MAX_NAME_LENGTH = 128;
const MAX_TEXT_LENGTH = 2048;
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
type Db = Kysely<Database> | Transaction<Database>;

/**
 * Service accounts (issue 16, spec §4.2, §5.6): registration, reads, update, revoke, delete.
 * Every query names the org. A tenant administrator manages its own org's accounts (Service
 * Accounts: Manage); the provider manages every org's, or one tenant's under a tenant context.
 */
export class ServiceAccountService {
  constructor(private readonly deps: ServiceAccountDeps) {}

  /** `POST /oauth/…/register` with `software_id` (spec §4.2): the account, status CREATED, no secret. */
  async register(p: Principal, path: OAuthOrgRef, fields: Record<string, unknown>, clientIp: string): Promise<ServiceAccountView> {
    this.requireRight(p, RIGHTS.serviceAccountsManage, 'serviceAccounts.create');
    const org = await this.orgOfPath(p, path);
    const name = fields.client_name;
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH || !PRINTABLE.test(name)) {
      throw new AppError('VALIDATION_FAILED', { message: `client_name must be a string of 1 to ${MAX_NAME_LENGTH} printable characters.` });
    }
    const softwareId = softwareIdOf(fields.software_id, 'software_id');
    const softwareVersion = optionalText(fields.software_version, 'software_version');
    const clientUri = optionalText(fields.client_uri, 'client_uri');
    const roleRef = roleOfScope(fields.scope);
    const { db, clock } = this.deps;
    const id = newId();
    try {
      await db.transaction().execute(async (trx) => {
        const role = await findRole(trx, org.id, roleRef);
        const clash = await trx.selectFrom('service_accounts').select('id').where('org_id', '=', org.id).where('name', '=', name).executeTakeFirst();
        if (clash) throw duplicate(name);
        await trx.insertInto('service_accounts').values({
          id, org_id: org.id, name, software_id: softwareId, software_version: softwareVersion, client_uri: clientUri, role_id: role.id,
          status: 'CREATED', created_at: clock.now().toISOString(), device_code_hash: null, user_code_hash: null, device_expires_at: null,
          device_last_poll_at: null, granted_by: null, last_used_at: null,
        }).execute();
        await appendAuditEvent(trx, {
          event: 'service_account.created', at: clock.now(), actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), org.id),
          entity: { id, name, type: 'serviceAccount' }, description: `Service account "${name}" registered with role "${role.name}"`,
        });
      });
    } catch (err) {
      if (isNameClash(err)) throw duplicate(name);
      throw err;
    }
    return this.view(db, org.id, id);
  }

  /** A service account the principal may see (view, limited view or manage), or 403 (spec §5.3). */
  async findVisible(p: Principal, operatingOrgId: string, id: string): Promise<ServiceAccountView> {
    if (!this.canView(p)) throw new AppError('ACCESS_FORBIDDEN');
    const row = await this.baseQuery().where('sa.id', '=', id).executeTakeFirst();
    if (!row || !this.reaches(p, operatingOrgId, row.orgId)) throw new AppError('ACCESS_FORBIDDEN');
    return row as ServiceAccountView;
  }

  /** `PUT …/serviceAccounts/{id}` (spec §5.7 step 9): role, uri, softwareId, softwareVersion. */
  async update(p: Principal, operatingOrgId: string, id: string, body: ServiceAccountUpdate, clientIp: string): Promise<ServiceAccountView> {
    const sa = await this.findManageable(p, operatingOrgId, id, 'serviceAccounts.update');
    if (body.name !== undefined && body.name !== sa.name) throw new AppError('VALIDATION_FAILED', { message: 'The name of a service account cannot be changed.' });
    const softwareId = body.softwareId === undefined ? sa.softwareId : softwareIdOf(body.softwareId, 'softwareId');
    const softwareVersion = body.softwareVersion === undefined ? sa.softwareVersion : optionalText(body.softwareVersion, 'softwareVersion');
    const uri = body.uri === undefined ? sa.clientUri : optionalText(body.uri, 'uri');
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      const role = body.role === undefined ? null : await findRole(trx, sa.orgId, roleRefOf(body.role));
      await trx.updateTable('service_accounts')
        .set({ software_id: softwareId, software_version: softwareVersion, client_uri: uri, ...(role ? { role_id: role.id } : {}) })
        .where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
      await appendAuditEvent(trx, {
        event: 'service_account.modified', at: clock.now(), actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), sa.orgId),
        entity: { id: sa.id, name: sa.name, type: 'serviceAccount' },
        description: `Service account "${sa.name}" modified${role && role.id !== sa.roleId ? `: role "${role.name}"` : ''}`,
      });
    });
    return this.view(db, sa.orgId, sa.id);
  }

  /**
   * `POST …/serviceAccounts/{id}/revoke` (spec §5.7 step 8): back to CREATED; its refresh tokens
   * die and the epoch moves, so each of its access tokens is refused at the next request.
   */
  async revoke(p: Principal, operatingOrgId: string, id: string, clientIp: string): Promise<ServiceAccountView> {
    const sa = await this.findManageable(p, operatingOrgId, id, 'serviceAccounts.revoke');
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      await revokeAccountCredentials(trx, sa, clock.now().toISOString());
      await appendAuditEvent(trx, {
        event: 'service_account.revoked', at: clock.now(), actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), sa.orgId),
        entity: { id: sa.id, name: sa.name, type: 'serviceAccount' }, description: `Service account "${sa.name}" revoked by ${p.username}@${p.orgName}`,
      });
    });
    return this.view(db, sa.orgId, sa.id);
  }

  /** `DELETE …/serviceAccounts/{id}` (spec §5.7 step 10): gone, with its tokens; a later GET is 403. */
  async delete(p: Principal, operatingOrgId: string, id: string, clientIp: string): Promise<void> {
    const sa = await this.findManageable(p, operatingOrgId, id, 'serviceAccounts.delete');
    const { db, clock } = this.deps;
    await db.transaction().execute(async (trx) => {
      // The account's row first, then its tokens: the order a refresh, a replay and a revocation
      // lock them in, so a delete racing them cannot deadlock on PostgreSQL.
      await trx.updateTable('service_accounts').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) }))
        .where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
      await trx.deleteFrom('service_account_refresh_tokens').where('service_account_id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
      await trx.deleteFrom('service_accounts').where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
      await appendAuditEvent(trx, {
        event: 'service_account.deleted', at: clock.now(), actor: await filedUnderOrg(trx, auditActorOf(p, clientIp), sa.orgId),
        entity: { id: sa.id, name: sa.name, type: 'serviceAccount' }, description: `Service account "${sa.name}" deleted by ${p.username}@${p.orgName}`,
      });
    });
  }

  /** Whether the principal may read service accounts at all (view, limited view or manage). */
  canView(p: Principal): boolean {
    return p.rights.has(RIGHTS.serviceAccountsView) || p.rights.has(RIGHTS.serviceAccountsManage) || p.rights.has(RIGHTS.serviceAccountsViewLimited);
  }

  /** Limited view (spec §5.6, 10.4.1): softwareId, softwareVersion, uri and status read as null. */
  isLimitedView(p: Principal): boolean {
    return !p.rights.has(RIGHTS.serviceAccountsView) && !p.rights.has(RIGHTS.serviceAccountsManage);
  }

  /** The org scope of a list: every org (provider in its own context) or the operating org. */
  listScope(p: Principal, operatingOrgId: string): { allOrgs: true } | { allOrgs: false; orgId: string } {
    return p.isProvider && operatingOrgId === p.orgId ? { allOrgs: true } : { allOrgs: false, orgId: operatingOrgId };
  }

  /** Rows as the list's FIQL selectors name them (filters and paging applied by the caller). */
  baseQuery() {
    return this.deps.db.selectFrom('service_accounts as sa')
      .innerJoin('orgs as o', 'o.id', 'sa.org_id')
      .leftJoin('roles as r', (j) => j.onRef('r.id', '=', 'sa.role_id').onRef('r.org_id', '=', 'sa.org_id'))
      .select([
        'sa.id', 'sa.name', 'sa.software_id as softwareId', 'sa.software_version as softwareVersion', 'sa.client_uri as clientUri',
        'sa.role_id as roleId', 'r.name as roleName', 'sa.org_id as orgId', 'o.name as orgName', 'sa.status', 'sa.created_at as createdAt',
      ]);
  }

  /** The account to act on with Service Accounts: Manage, or 403 whatever the reason (spec §5.3). */
  async findManageable(p: Principal, operatingOrgId: string, id: string, operation: string): Promise<ServiceAccountView> {
    this.requireRight(p, RIGHTS.serviceAccountsManage, operation);
    const row = await this.baseQuery().where('sa.id', '=', id).executeTakeFirst();
    if (!row || !this.reaches(p, operatingOrgId, row.orgId)) throw new AppError('ACCESS_FORBIDDEN');
    return row as ServiceAccountView;
  }

  /** Org scoping: the operating org's accounts, or every org's for the provider in its own context. */
  reaches(p: Principal, operatingOrgId: string, saOrgId: string): boolean {
    return saOrgId === operatingOrgId || (p.isProvider && operatingOrgId === p.orgId);
  }

  private requireRight(p: Principal, right: string, operation: string): void {
    if (!p.rights.has(right)) {
      throw new AppError('ACCESS_FORBIDDEN', { message: `Either you need some or all of the following rights [${right}] to perform operations [${operation}] or the target entity is invalid.` });
    }
  }

  /** The org an OAuth path names, if the principal may create service accounts there (spec §4.1). */
  private async orgOfPath(p: Principal, path: OAuthOrgRef): Promise<{ id: string; name: string }> {
    const q = this.deps.db.selectFrom('orgs').select(['id', 'name']);
    const org = path.kind === 'provider'
      ? await q.where('name', '=', this.deps.systemOrgName).executeTakeFirst()
      : await q.where((eb) => eb.or([eb('name_lower', '=', path.nameOrId.toLowerCase()), ...(isUuid(path.nameOrId) ? [eb('id', '=', path.nameOrId)] : [])])).executeTakeFirst();
    // The provider may create a tenant's service accounts (Go does, as sysadmin); a tenant only its own.
    if (!org || !pathNamesOrg(path, org, this.deps.systemOrgName) || (!p.isProvider && org.id !== p.orgId)) {
      throw new AppError('ACCESS_FORBIDDEN', { message: 'Service accounts are created at the register endpoint of their organization.' });
    }
    return org;
  }

  private async view(db: Db, orgId: string, id: string): Promise<ServiceAccountView> {
    const row = await db.selectFrom('service_accounts as sa')
      .innerJoin('orgs as o', 'o.id', 'sa.org_id')
      .leftJoin('roles as r', (j) => j.onRef('r.id', '=', 'sa.role_id').onRef('r.org_id', '=', 'sa.org_id'))
      .select([
        'sa.id', 'sa.name', 'sa.software_id as softwareId', 'sa.software_version as softwareVersion', 'sa.client_uri as clientUri',
        'sa.role_id as roleId', 'r.name as roleName', 'sa.org_id as orgId', 'o.name as orgName', 'sa.status', 'sa.created_at as createdAt',
      ])
      .where('sa.id', '=', id).where('sa.org_id', '=', orgId).executeTakeFirstOrThrow();
    return row as ServiceAccountView;
  }
}

/** Revoke's effect, shared with replay detection: CREATED, no codes, chain revoked, epoch moved. */
export async function revokeAccountCredentials(trx: Transaction<Database>, sa: { id: string; orgId: string }, now: string): Promise<void> {
  await trx.updateTable('service_accounts')
    .set((eb) => ({
      status: 'CREATED', session_epoch: eb('session_epoch', '+', 1), device_code_hash: null, user_code_hash: null,
      device_expires_at: null, device_last_poll_at: null, device_denied: 0, granted_by: null,
    }))
    .where('id', '=', sa.id).where('org_id', '=', sa.orgId).execute();
  await trx.updateTable('service_account_refresh_tokens').set({ revoked_at: now })
    .where('service_account_id', '=', sa.id).where('org_id', '=', sa.orgId).where('revoked_at', 'is', null).execute();
}

async function findRole(db: Db, orgId: string, ref: { name: string } | { id: string }): Promise<{ id: string; name: string }> {
  const q = db.selectFrom('roles').select(['id', 'name']).where('org_id', '=', orgId);
  const role = 'id' in ref ? await q.where('id', '=', ref.id).executeTakeFirst() : await q.where('name', '=', ref.name).executeTakeFirst();
  if (!role) {
    const what = 'id' in ref ? `urn:vcloud:role:${ref.id}` : `"${ref.name.slice(0, 128)}"`;
    throw new AppError('VALIDATION_FAILED', { message: `The role ${what} does not exist in the service account's organization.` });
  }
  return role;
}

/** `role` of a PUT body: `{id}` (a role URN) wins over `{name}`, as Go sends both (spec §5.6). */
function roleRefOf(role: unknown): { name: string } | { id: string } {
  if (typeof role === 'object' && role !== null && !Array.isArray(role)) {
    const { id, name } = role as { id?: unknown; name?: unknown };
    if (typeof id === 'string' && id !== '') {
      const uuid = id.startsWith('urn:vcloud:role:') ? id.slice('urn:vcloud:role:'.length) : id;
      if (isUuid(uuid)) return { id: uuid };
      throw new AppError('VALIDATION_FAILED', { message: 'role.id must be a role URN (urn:vcloud:role:<uuid>).' });
    }
    if (typeof name === 'string' && name !== '') return { name };
  }
  throw new AppError('VALIDATION_FAILED', { message: 'role must be {"id":"urn:vcloud:role:<uuid>"} or {"name":"<role name>"}.' });
}

function softwareIdOf(value: unknown, field: string): string {
  // Spec §4.2: a UUID marks the registration as a service account; stored lower-case (spec §1.2).
  if (typeof value !== 'string' || !isUuid(value.toLowerCase())) throw new AppError('VALIDATION_FAILED', { message: `${field} must be a UUID.` });
  return value.toLowerCase();
}

function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH || !PRINTABLE.test(value)) {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be a string of at most ${MAX_TEXT_LENGTH} printable characters.` });
  }
  return value;
}

function duplicate(name: string): AppError {
  return new AppError('DUPLICATE_NAME', { message: `A service account named "${name.slice(0, 128)}" already exists in this organization.` });
}

/** The loser of two concurrent registrations of one name hits the (org_id, name) unique key. */
function isNameClash(err: unknown): boolean {
  const v = uniqueViolationOf(err);
  if (!v) return false;
  return v.constraint === 'service_accounts_org_name' || (v.table === 'service_accounts' && v.columns?.join(',') === 'org_id,name');
}

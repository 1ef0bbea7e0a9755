import { useEffect, useState } from 'react';
import type { Role, Token, User } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, fiqlValue, listAll, revokeApiToken, revokeApiTokensOfUser, type PortalSession } from '../api.ts';
import { TokenBadges, expiryText } from '../components/TokenBadges.tsx';
import { href, navigate, type Route } from '../router.ts';
import { ConfirmDialog, EmptyState, ErrorMessage, Loading, formatTime, useAction, useLoad } from '../components/ui.tsx';
import { userStatus } from './UsersScreen.tsx';

type Confirm = { kind: 'delete' } | { kind: 'disable' } | { kind: 'revoke'; token: Token } | { kind: 'revokeAll' } | { kind: 'resetMfa' };

/**
 * One user: status (enable, disable, unlock, delete), roles, second-factor reset and, with
 * "Manage all users' API tokens", that user's tokens by name only (seed 001), revoked one by one
 * or all at once.
 */
export function UserDetailScreen({ session, route, userId }: { session: PortalSession; route: Route; userId: string }) {
  const tenant = route.query.get('org');
  const path = `/cloudapi/1.0.0/users/${userId}`;
  const user = useLoad(() => api<User>('GET', path, { tenant }), [path, tenant]);
  const can = (r: string) => session.rights.includes(r);
  const action = useAction();
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const u = user.data;

  const update = (changes: Partial<User>) => action.run(async () => {
    if (!u) return;
    await api('PUT', path, { tenant, body: { ...u, ...changes } });
    user.reload();
  });

  return (
    <>
      <p><a href={href(['admin', 'users'], { org: tenant })}>← All users</a></p>
      <ErrorMessage error={user.error} />
      {user.loading && !u ? <Loading /> : u ? (
        <>
          <div className="page-head">
            <h1>{u.username}</h1>
            <span className={`badge ${userStatus(u).toLowerCase()}`}>{userStatus(u)}</span>
          </div>
          <section className="panel" aria-labelledby="user-facts">
            <h2 id="user-facts">Details</h2>
            <dl className="facts">
              <dt>Full name</dt><dd>{u.fullName || '—'}</dd>
              <dt>Email</dt><dd>{u.email || '—'}</dd>
              <dt>Organization</dt><dd>{u.orgEntityRef?.name ?? '—'}</dd>
              <dt>Second factor</dt><dd>{u.mfaEnrolled ? 'Authenticator app set up' : 'Not set up'}</dd>
            </dl>
            {can(RIGHTS.userManage) && (
              <div className="actions left">
                {u.enabled === false
                  ? <button type="button" onClick={() => update({ enabled: true })}>Enable</button>
                  : <button type="button" onClick={() => setConfirm({ kind: 'disable' })}>Disable</button>}
                {u.locked && <button type="button" onClick={() => update({ locked: false })}>Unlock</button>}
                {can(RIGHTS.mfaManage) && u.mfaEnrolled && <button type="button" onClick={() => setConfirm({ kind: 'resetMfa' })}>Reset second factor</button>}
                <button type="button" className="danger" onClick={() => setConfirm({ kind: 'delete' })}>Delete user</button>
              </div>
            )}
            <ErrorMessage error={action.error} />
          </section>
          <RolesPanel user={u} tenant={tenant} editable={can(RIGHTS.userManage)} onSave={(refs) => update({ roleEntityRefs: refs })} />
          {can(RIGHTS.apiTokensManageAll) && <UserTokensPanel user={u} tenant={tenant} onConfirm={setConfirm} />}
        </>
      ) : null}
      {confirm && u && <ConfirmFor confirm={confirm} user={u} tenant={tenant} path={path} onClose={() => { setConfirm(null); user.reload(); }} />}
    </>
  );
}

function RolesPanel({ user, tenant, editable, onSave }: { user: User; tenant: string | null; editable: boolean; onSave: (refs: { name: string; id: string }[]) => void }) {
  const roles = useLoad(() => listAll<Role>('/cloudapi/1.0.0/roles/', { sortAsc: 'name' }, tenant), [tenant]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  useEffect(() => setChosen(new Set(user.roleEntityRefs?.map((r) => r.id))), [user]);
  const toggle = (id: string) => setChosen((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id); else n.add(id);
    return n;
  });
  return (
    <section className="panel" aria-labelledby="user-roles">
      <h2 id="user-roles">Roles</h2>
      <ErrorMessage error={roles.error} />
      <fieldset disabled={!editable}>
        <legend className="sr-only">Roles of {user.username}</legend>
        <ul className="checks">
          {roles.data?.map((r) => (
            <li key={r.id}>
              <input type="checkbox" id={`role-${r.id}`} checked={chosen.has(r.id)} onChange={() => toggle(r.id)} />
              <label htmlFor={`role-${r.id}`}>{r.name}</label>
            </li>
          ))}
        </ul>
      </fieldset>
      {editable && (
        <button type="button" onClick={() => onSave((roles.data ?? []).filter((r) => chosen.has(r.id)).map((r) => ({ name: r.name, id: r.id })))}>
          Save roles
        </button>
      )}
    </section>
  );
}

function UserTokensPanel({ user, tenant, onConfirm }: { user: User; tenant: string | null; onConfirm: (c: Confirm) => void }) {
  const tokens = useLoad(() => listAll<Token>('/cloudapi/1.0.0/tokens/', { filter: `owner.id==${fiqlValue(user.id)}`, sortDesc: 'createdAt' }, tenant), [user, tenant]);
  return (
    <section className="panel" aria-labelledby="user-tokens">
      <div className="panel-head">
        <h2 id="user-tokens">API tokens</h2>
        {(tokens.data?.length ?? 0) > 0 && <button type="button" className="danger" onClick={() => onConfirm({ kind: 'revokeAll' })}>Revoke all</button>}
      </div>
      <p className="muted">Only token names are shown; a token itself is never visible to anyone after its creation.</p>
      <ErrorMessage error={tokens.error} />
      {tokens.loading && !tokens.data ? <Loading /> : tokens.data?.length === 0 ? <EmptyState>{user.username} has no API tokens.</EmptyState> : (
        <div className="table-wrap"><table>
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">From</th>
              <th scope="col">Status</th><th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.data?.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td><td>{formatTime(t.createdAt)}</td><td>{expiryText(t)}</td><td>{formatTime(t.lastUsedAt)}</td>
                <td>{t.lastUsedIp ?? '—'}</td><td><TokenBadges token={t} /></td>
                <td className="row-actions"><button type="button" onClick={() => onConfirm({ kind: 'revoke', token: t })} aria-label={`Revoke token ${t.name}`}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
    </section>
  );
}

function ConfirmFor({ confirm, user, tenant, path, onClose }: { confirm: Confirm; user: User; tenant: string | null; path: string; onClose: () => void }) {
  switch (confirm.kind) {
    case 'delete':
      return (
        <ConfirmDialog title="Delete user" confirmLabel="Delete" onClose={onClose}
          onConfirm={async () => { await api('DELETE', path, { tenant }); navigate(href(['admin', 'users'], { org: tenant })); }}>
          <p>Delete <strong>{user.username}</strong>? Their sessions end and their API tokens stop working.</p>
        </ConfirmDialog>
      );
    case 'disable':
      return (
        <ConfirmDialog title="Disable user" confirmLabel="Disable" onClose={onClose}
          onConfirm={() => api('PUT', path, { tenant, body: { ...user, enabled: false } })}>
          <p>Disable <strong>{user.username}</strong>? They are logged out and cannot log in until you enable them again, and every API token they hold is revoked for good.</p>
        </ConfirmDialog>
      );
    case 'revoke':
      return (
        <ConfirmDialog title="Revoke API token" confirmLabel="Revoke" onClose={onClose}
          onConfirm={() => revokeApiToken(confirm.token.id, tenant)}>
          <p>Revoke <strong>{confirm.token.name}</strong> of {user.username}? Anything using it stops working at once.</p>
        </ConfirmDialog>
      );
    case 'revokeAll':
      return (
        <ConfirmDialog title="Revoke all API tokens" confirmLabel="Revoke all" onClose={onClose}
          onConfirm={() => revokeApiTokensOfUser(user.id, tenant)}>
          <p>Revoke every API token of <strong>{user.username}</strong>? Anything using them stops working at once.</p>
        </ConfirmDialog>
      );
    case 'resetMfa':
      return (
        <ConfirmDialog title="Reset second factor" confirmLabel="Reset" onClose={onClose}
          onConfirm={() => api('DELETE', `${path}/mfa`, { tenant })}>
          <p>Remove the authenticator app of <strong>{user.username}</strong>? They set up a new one at their next log-in if the organization requires it.</p>
        </ConfirmDialog>
      );
  }
}

import { useEffect, useState, type FormEvent } from 'react';
import type { Role, User } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import type { PagedEnvelope } from '../../../api/cloudapi/wire.ts';
import { api, fiqlValue, listAll, type PortalSession } from '../api.ts';
import { href, type Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { Dialog, EmptyState, ErrorMessage, Field, Loading, Pager, useAction, useLoad } from '../components/ui.tsx';

export function userStatus(u: User): string {
  if (u.locked) return 'Locked';
  return u.enabled === false ? 'Disabled' : 'Enabled';
}

const USERS_PAGE_SIZE = 25;

/** FIQL of the search box: user name or full name contains the text (a typed `*` is literal). */
export function userSearchFilter(text: string): string {
  const v = fiqlValue(text.trim()).replace(/\*/g, '\\*');
  return v ? `(username==*${v}*,fullName==*${v}*)` : '';
}

/** Administration › Users: the org's users with roles and status, a page at a time and searchable; New user. */
export function UsersScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, orgName, picker } = useOperatingOrg(session, route);
  const [draft, setDraft] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  // Another org's list starts at its first page.
  useEffect(() => setPage(1), [tenant]);
  const users = useLoad(() => {
    const q = new URLSearchParams({ sortAsc: 'username', page: String(page), pageSize: String(USERS_PAGE_SIZE) });
    const filter = userSearchFilter(search);
    if (filter) q.set('filter', filter);
    return api<PagedEnvelope<User>>('GET', `/cloudapi/1.0.0/users/?${q.toString()}`, { tenant });
  }, [tenant, search, page]);
  const env = users.data;
  const [creating, setCreating] = useState(false);
  const canManage = session.rights.includes(RIGHTS.userManage);
  return (
    <>
      <div className="page-head">
        <h1>Users{orgName ? <span className="muted"> · {orgName}</span> : null}</h1>
        {picker}
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New user</button>}
      </div>
      <form className="filters" role="search" aria-label="Search users" onSubmit={(e) => { e.preventDefault(); setPage(1); setSearch(draft); }}>
        <Field label="User name or full name contains">{(id) => <input id={id} type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />}</Field>
        <div className="actions left">
          <button type="submit" className="primary">Search</button>
          {search && <button type="button" onClick={() => { setDraft(''); setSearch(''); setPage(1); }}>Clear</button>}
        </div>
      </form>
      <ErrorMessage error={users.error} />
      {users.loading && !env ? <Loading /> : env?.values.length === 0 ? (
        <EmptyState>{search ? 'No users match this search.' : 'This organization has no users yet.'}</EmptyState>
      ) : env ? (<>
        <div className="table-wrap"><table>
          <thead><tr><th scope="col">User name</th><th scope="col">Full name</th><th scope="col">Roles</th><th scope="col">Status</th></tr></thead>
          <tbody>
            {env.values.map((u) => (
              <tr key={u.id}>
                <td><a href={href(['admin', 'users', u.id], { org: tenant })}>{u.username}</a></td>
                <td>{u.fullName || '—'}</td>
                <td>{u.roleEntityRefs?.map((r) => r.name).join(', ') || 'None'}</td>
                <td><span className={`badge ${userStatus(u).toLowerCase()}`}>{userStatus(u)}</span></td>
              </tr>
            ))}
          </tbody>
        </table></div>
        <Pager label="User pages" page={page} envelope={env} noun={['user', 'users']} onPage={setPage} />
      </>) : null}
      {creating && <NewUserDialog tenant={tenant} onClose={() => { setCreating(false); users.reload(); }} />}
    </>
  );
}

function NewUserDialog({ tenant, onClose }: { tenant: string | null; onClose: () => void }) {
  const roles = useLoad(() => listAll<Role>('/cloudapi/1.0.0/roles/', { sortAsc: 'name' }, tenant), [tenant]);
  const [form, setForm] = useState({ username: '', password: '', fullName: '', email: '', roleId: '' });
  const action = useAction();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const role = roles.data?.find((r) => r.id === form.roleId);
    const ok = await action.run(() => api('POST', '/cloudapi/1.0.0/users/', {
      tenant,
      body: {
        username: form.username.trim(), password: form.password, fullName: form.fullName.trim(), email: form.email.trim(),
        enabled: true, roleEntityRefs: role ? [{ name: role.name, id: role.id }] : [],
      },
    }));
    if (ok) onClose();
  };
  return (
    <Dialog title="New user" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="User name">{(id) => <input id={id} value={form.username} onChange={set('username')} required autoFocus />}</Field>
        <Field label="Password">{(id) => <input id={id} type="password" value={form.password} onChange={set('password')} required autoComplete="new-password" />}</Field>
        <Field label="Full name">{(id) => <input id={id} value={form.fullName} onChange={set('fullName')} />}</Field>
        <Field label="Email">{(id) => <input id={id} type="email" value={form.email} onChange={set('email')} />}</Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={form.roleId} onChange={set('roleId')} required>
              <option value="">Choose a role…</option>
              {roles.data?.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            </select>
          )}
        </Field>
        <ErrorMessage error={action.error ?? roles.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create</button>
        </div>
      </form>
    </Dialog>
  );
}

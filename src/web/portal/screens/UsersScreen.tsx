import { useState, type FormEvent } from 'react';
import type { Role, User } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, listAll, type PortalSession } from '../api.ts';
import { href, type Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

export function userStatus(u: User): string {
  if (u.locked) return 'Locked';
  return u.enabled === false ? 'Disabled' : 'Enabled';
}

/** Administration › Users: the org's users with roles and status; New user. */
export function UsersScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, orgName, picker } = useOperatingOrg(session, route);
  const users = useLoad(() => listAll<User>('/cloudapi/1.0.0/users/', { sortAsc: 'username' }, tenant), [tenant]);
  const [creating, setCreating] = useState(false);
  const canManage = session.rights.includes(RIGHTS.userManage);
  return (
    <>
      <div className="page-head">
        <h1>Users{orgName ? <span className="muted"> · {orgName}</span> : null}</h1>
        {picker}
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New user</button>}
      </div>
      <ErrorMessage error={users.error} />
      {users.loading && !users.data ? <Loading /> : users.data?.length === 0 ? (
        <EmptyState>This organization has no users yet.</EmptyState>
      ) : (
        <div className="table-wrap"><table>
          <thead><tr><th scope="col">User name</th><th scope="col">Full name</th><th scope="col">Roles</th><th scope="col">Status</th></tr></thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id}>
                <td><a href={href(['admin', 'users', u.id], { org: tenant })}>{u.username}</a></td>
                <td>{u.fullName || '—'}</td>
                <td>{u.roleEntityRefs?.map((r) => r.name).join(', ') || 'None'}</td>
                <td><span className={`badge ${userStatus(u).toLowerCase()}`}>{userStatus(u)}</span></td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
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

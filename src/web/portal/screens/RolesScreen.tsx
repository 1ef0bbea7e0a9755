import { useState, type FormEvent } from 'react';
import type { Role } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, listAll, type PortalSession } from '../api.ts';
import { href, navigate, type Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { RightsEditor } from '../components/RightsEditor.tsx';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

/**
 * Administration › Roles: the org's roles (published global roles appear read-only, spec §7.4),
 * a role's rights, new and deleted roles. The provider picks the org.
 */
export function RolesScreen({ session, route, roleId }: { session: PortalSession; route: Route; roleId: string | null }) {
  const { tenant, orgName, picker } = useOperatingOrg(session, route);
  const roles = useLoad(() => listAll<Role>('/cloudapi/1.0.0/roles/', { sortAsc: 'name' }, tenant), [tenant]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const canManage = session.rights.includes(RIGHTS.roleManage) && !session.apiTokenSession;
  const selected = roles.data?.find((r) => r.id === roleId) ?? null;
  return (
    <>
      <div className="page-head">
        <h1>Roles{orgName ? <span className="muted"> · {orgName}</span> : null}</h1>
        {picker}
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New role</button>}
      </div>
      <ErrorMessage error={roles.error} />
      <div className="split">
        <div>
          {roles.loading && !roles.data ? <Loading /> : roles.data?.length === 0 ? <EmptyState>This organization has no roles.</EmptyState> : (
            <ul className="list" aria-label="Roles">
              {roles.data?.map((r) => (
                <li key={r.id}>
                  <a href={href(['admin', 'roles', r.id], { org: tenant })} aria-current={r.id === roleId ? 'true' : undefined}>{r.name}</a>
                  {r.readOnly && <span className="badge">Read-only</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          {selected ? (
            <section className="panel" aria-labelledby="role-title">
              <div className="panel-head">
                <h2 id="role-title">{selected.name}</h2>
                {canManage && !selected.readOnly && <button type="button" className="danger" onClick={() => setDeleting(selected)}>Delete role</button>}
              </div>
              <p className="muted">{selected.description || 'No description.'}</p>
              {selected.readOnly && <p className="muted">Published by the provider as a global role: read-only here.</p>}
              <RightsEditor key={selected.id} entityPath={`/cloudapi/1.0.0/roles/${selected.id}`} tenant={tenant} editable={canManage && !selected.readOnly} />
            </section>
          ) : <EmptyState>Choose a role to see its rights.</EmptyState>}
        </div>
      </div>
      {creating && <NewRoleDialog tenant={tenant} onClose={(id) => { setCreating(false); roles.reload(); if (id) navigate(href(['admin', 'roles', id], { org: tenant })); }} />}
      {deleting && (
        <ConfirmDialog title="Delete role" confirmLabel="Delete" onClose={() => { setDeleting(null); roles.reload(); }}
          onConfirm={async () => { await api('DELETE', `/cloudapi/1.0.0/roles/${deleting.id}`, { tenant }); navigate(href(['admin', 'roles'], { org: tenant })); }}>
          <p>Delete the role <strong>{deleting.name}</strong>? Users who hold it lose its rights.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function NewRoleDialog({ tenant, onClose }: { tenant: string | null; onClose: (createdId?: string) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let created: Role | undefined;
    const ok = await action.run(async () => {
      created = await api<Role>('POST', '/cloudapi/1.0.0/roles/', { tenant, body: { name: name.trim(), description: description.trim() } });
    });
    if (ok) onClose(created?.id);
  };
  return (
    <Dialog title="New role" onClose={() => onClose()}>
      <form onSubmit={submit}>
        <Field label="Name">{(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />}</Field>
        <Field label="Description">{(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="button" onClick={() => onClose()}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create</button>
        </div>
      </form>
    </Dialog>
  );
}

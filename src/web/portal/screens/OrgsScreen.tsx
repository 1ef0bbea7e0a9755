import { useState, type FormEvent } from 'react';
import type { Org } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, isProviderOrg, listAll, uuidOf, type PortalSession } from '../api.ts';
import { href } from '../router.ts';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

/** OpenDirector's extra org field: the org requires a TOTP second factor. */
type PortalOrg = Org & { requireMfa?: boolean };

/** Provider › Organizations: list, create, enable and disable tenant orgs. */
export function OrgsScreen({ session }: { session: PortalSession }) {
  const orgs = useLoad(() => listAll<PortalOrg>('/cloudapi/1.0.0/orgs/', { sortAsc: 'name' }), []);
  const [creating, setCreating] = useState(false);
  const [disabling, setDisabling] = useState<PortalOrg | null>(null);
  const action = useAction();
  const canManage = session.rights.includes(RIGHTS.orgManage) && !session.apiTokenSession;
  const setEnabled = (o: PortalOrg, isEnabled: boolean) => api('PUT', `/cloudapi/1.0.0/orgs/${o.id}`, { body: { ...o, isEnabled } }).then(orgs.reload);
  return (
    <>
      <div className="page-head">
        <h1>Organizations</h1>
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New organization</button>}
      </div>
      <ErrorMessage error={orgs.error ?? action.error} />
      {orgs.loading && !orgs.data ? <Loading /> : orgs.data?.length === 0 ? <EmptyState>No organizations yet.</EmptyState> : (
        <table>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Status</th><th scope="col">Users</th><th scope="col">Second factor</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {orgs.data?.map((o) => (
              <tr key={o.id}>
                <td>{o.name}</td>
                <td>{o.displayName || '—'}</td>
                <td><span className={`badge ${o.isEnabled ? 'enabled' : 'disabled'}`}>{o.isEnabled ? 'Enabled' : 'Disabled'}</span></td>
                <td>{o.userCount ?? '—'}</td>
                <td>{o.requireMfa ? 'Required' : 'Optional'}</td>
                <td className="row-actions">
                  <a href={href(['admin', 'users'], { org: isProviderOrg(o.name) ? null : uuidOf(o.id) })}>Users</a>
                  {' '}
                  <a href={href(['admin', 'roles'], { org: isProviderOrg(o.name) ? null : uuidOf(o.id) })}>Roles</a>
                  {canManage && !isProviderOrg(o.name) && (o.isEnabled
                    ? <button type="button" onClick={() => setDisabling(o)} aria-label={`Disable ${o.name}`}>Disable</button>
                    : <button type="button" onClick={() => action.run(() => setEnabled(o, true))} aria-label={`Enable ${o.name}`}>Enable</button>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <NewOrgDialog onClose={() => { setCreating(false); orgs.reload(); }} />}
      {disabling && (
        <ConfirmDialog title="Disable organization" confirmLabel="Disable" onClose={() => setDisabling(null)} onConfirm={() => setEnabled(disabling, false)}>
          <p>Disable <strong>{disabling.name}</strong>? Its users are logged out and cannot log in, and its API tokens stop working until you enable it again.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function NewOrgDialog({ onClose }: { onClose: () => void }) {
  const [form, setForm] = useState({ name: '', displayName: '', description: '', requireMfa: false });
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(() => api('POST', '/cloudapi/1.0.0/orgs/', {
      body: { name: form.name.trim(), displayName: form.displayName.trim() || form.name.trim(), description: form.description.trim(), isEnabled: true, requireMfa: form.requireMfa },
    }));
    if (ok) onClose();
  };
  return (
    <Dialog title="New organization" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name" hint="Used in URLs and logins; cannot be changed later.">
          {(id) => <input id={id} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required autoFocus pattern="[A-Za-z0-9][A-Za-z0-9._-]*" />}
        </Field>
        <Field label="Display name">{(id) => <input id={id} value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />}</Field>
        <Field label="Description">{(id) => <input id={id} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />}</Field>
        <div className="check">
          <input type="checkbox" id="org-require-mfa" checked={form.requireMfa} onChange={(e) => setForm({ ...form, requireMfa: e.target.checked })} />
          <label htmlFor="org-require-mfa">Require a second factor (TOTP) for every user</label>
        </div>
        <ErrorMessage error={action.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create</button>
        </div>
      </form>
    </Dialog>
  );
}

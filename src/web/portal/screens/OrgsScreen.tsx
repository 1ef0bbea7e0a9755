import { useState, type FormEvent } from 'react';
import type { Org } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, isProviderOrg, listAll, uuidOf, type PortalSession } from '../api.ts';
import { href } from '../router.ts';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

/** OpenDirector's extra org field: the org requires a TOTP second factor. */
type PortalOrg = Org & { requireMfa?: boolean };

/**
 * What Chromium's `pattern` accepts (the attribute is compiled with the `v` flag, where `-` must be
 * escaped inside a class): the server's rule for org names, [A-Za-z0-9_.-] (tenancy/org-service.ts).
 */
export const ORG_NAME_PATTERN = '[A-Za-z0-9_.\\-]+';

/** Provider › Organizations: list, create, open (details and edit), enable and disable tenant orgs. */
export function OrgsScreen({ session }: { session: PortalSession }) {
  const orgs = useLoad(() => listAll<PortalOrg>('/cloudapi/1.0.0/orgs/', { sortAsc: 'name' }), []);
  const [creating, setCreating] = useState(false);
  const [disabling, setDisabling] = useState<PortalOrg | null>(null);
  const [opened, setOpened] = useState<PortalOrg | null>(null);
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
        <div className="table-wrap"><table>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col">Status</th><th scope="col">Users</th><th scope="col">Second factor</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {orgs.data?.map((o) => (
              <tr key={o.id}>
                <td><button type="button" className="link" onClick={() => setOpened(o)}>{o.name}</button></td>
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
        </table></div>
      )}
      {opened && <OrgDialog org={opened} canManage={canManage} onClose={(changed) => { setOpened(null); if (changed) orgs.reload(); }} />}
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
          {(id) => <input id={id} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} required autoFocus pattern={ORG_NAME_PATTERN} maxLength={128} title="Letters, digits, '.', '_' and '-'" />}
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

/** One org: its facts, and for a provider who may manage orgs, its editable properties. */
function OrgDialog({ org, canManage, onClose }: { org: PortalOrg; canManage: boolean; onClose: (changed: boolean) => void }) {
  const editable = canManage && !isProviderOrg(org.name);
  const [form, setForm] = useState({ displayName: org.displayName ?? '', description: org.description ?? '', requireMfa: org.requireMfa === true });
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(() => api('PUT', `/cloudapi/1.0.0/orgs/${org.id}`, {
      body: { ...org, displayName: form.displayName.trim() || org.name, description: form.description.trim(), requireMfa: form.requireMfa },
    }));
    if (ok) onClose(true);
  };
  return (
    <Dialog title={`Organization ${org.name}`} onClose={() => onClose(false)} className="wide">
      <dl className="facts">
        <dt>Name</dt><dd>{org.name}</dd>
        <dt>Status</dt><dd>{org.isEnabled ? 'Enabled' : 'Disabled'}</dd>
        <dt>Users</dt><dd>{org.userCount ?? 0}</dd>
        <dt>VDCs</dt><dd>{org.orgVdcCount ?? 0}</dd>
        <dt>vApps</dt><dd>{org.vappCount ?? 0}</dd>
        <dt>Running VMs</dt><dd>{org.runningVMCount ?? 0}</dd>
        {!editable && <><dt>Display name</dt><dd>{org.displayName || '—'}</dd></>}
        {!editable && <><dt>Description</dt><dd>{org.description || '—'}</dd></>}
        {!editable && <><dt>Second factor</dt><dd>{org.requireMfa ? 'Required' : 'Optional'}</dd></>}
      </dl>
      {editable ? (
        <form onSubmit={submit} className="org-edit">
          <Field label="Display name">{(id) => <input id={id} value={form.displayName} maxLength={256} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />}</Field>
          <Field label="Description">{(id) => <textarea id={id} value={form.description} maxLength={4096} rows={3} onChange={(e) => setForm({ ...form, description: e.target.value })} />}</Field>
          <div className="check">
            <input type="checkbox" id="org-edit-require-mfa" checked={form.requireMfa} onChange={(e) => setForm({ ...form, requireMfa: e.target.checked })} />
            <label htmlFor="org-edit-require-mfa">Require a second factor (TOTP) for every user</label>
          </div>
          {form.requireMfa && !org.requireMfa && (
            <p className="muted">Users without an authenticator app are logged out and must set one up at their next log-in.</p>
          )}
          <ErrorMessage error={action.error} />
          <div className="actions">
            <button type="button" onClick={() => onClose(false)}>Cancel</button>
            <button type="submit" className="primary" disabled={action.busy}>Save</button>
          </div>
        </form>
      ) : (
        <div className="actions"><button type="button" onClick={() => onClose(false)}>Close</button></div>
      )}
    </Dialog>
  );
}

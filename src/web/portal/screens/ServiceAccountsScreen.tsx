import { useState, type FormEvent } from 'react';
import type { Role, ServiceAccount } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, listAll, oauthBase, type PortalSession } from '../api.ts';
import { href, type Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

const STATUS_LABELS: Record<string, string> = {
  CREATED: 'Created', REQUESTED: 'Waiting for approval', GRANTED: 'Approved', ACTIVE: 'Active',
};

/**
 * Administration › Service accounts (issue 16): the org's accounts with role and status; create,
 * grant by user code (the device page), revoke, delete.
 */
export function ServiceAccountsScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, orgName, picker, spansAllOrgs } = useOperatingOrg(session, route);
  const accounts = useLoad(() => listAll<ServiceAccount>('/cloudapi/1.0.0/serviceAccounts/', { sortAsc: 'name' }, tenant), [tenant]);
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<{ kind: 'revoke' | 'delete'; account: ServiceAccount } | null>(null);
  const canManage = session.rights.includes(RIGHTS.serviceAccountsManage) && !session.apiTokenSession;
  const act = (kind: 'revoke' | 'delete', a: ServiceAccount) => (kind === 'revoke'
    ? api('POST', `/cloudapi/1.0.0/serviceAccounts/${a.id}/revoke`, { body: {}, tenant })
    : api('DELETE', `/cloudapi/1.0.0/serviceAccounts/${a.id}`, { tenant })).then(accounts.reload);
  return (
    <>
      <div className="page-head">
        <h1>Service accounts{orgName && !spansAllOrgs ? <span className="muted"> · {orgName}</span> : null}</h1>
        {picker}
        {canManage && <a className="button" href={href(['device'])}>Enter a user code</a>}
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New service account</button>}
      </div>
      <ErrorMessage error={accounts.error} />
      {accounts.loading && !accounts.data ? <Loading /> : accounts.data?.length === 0 ? (
        <EmptyState>No service accounts yet.</EmptyState>
      ) : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Organization</th><th scope="col">Client ID</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {accounts.data?.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{a.role.name || '—'}</td>
                <td>{a.status ? <span className={`badge ${a.status.toLowerCase()}`}>{STATUS_LABELS[a.status] ?? a.status}</span> : '—'}</td>
                <td>{a.org.name}</td>
                <td><code>{a.id.split(':').pop()}</code></td>
                <td className="row-actions">
                  {canManage && a.status !== 'CREATED' && <button type="button" onClick={() => setConfirm({ kind: 'revoke', account: a })} aria-label={`Revoke ${a.name}`}>Revoke</button>}
                  {canManage && <button type="button" onClick={() => setConfirm({ kind: 'delete', account: a })} aria-label={`Delete ${a.name}`}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && <NewServiceAccountDialog session={session} tenant={tenant} orgName={orgName} onClose={() => { setCreating(false); accounts.reload(); }} />}
      {confirm && (
        <ConfirmDialog
          title={confirm.kind === 'revoke' ? 'Revoke service account' : 'Delete service account'} confirmLabel={confirm.kind === 'revoke' ? 'Revoke' : 'Delete'}
          onClose={() => setConfirm(null)} onConfirm={() => act(confirm.kind, confirm.account)}
        >
          <p>{confirm.kind === 'revoke'
            ? <>Revoke <strong>{confirm.account.name}</strong>? Its tokens stop working at once; it needs a new approval to work again.</>
            : <>Delete <strong>{confirm.account.name}</strong>? Its tokens stop working and the account is gone.</>}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function NewServiceAccountDialog({ session, tenant, orgName, onClose }: { session: PortalSession; tenant: string | null; orgName: string; onClose: () => void }) {
  const roles = useLoad(() => listAll<Role>('/cloudapi/1.0.0/roles/', { sortAsc: 'name' }, tenant), [tenant]);
  const [form, setForm] = useState({ name: '', role: '', softwareVersion: '', uri: '' });
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const base = tenant ? `/oauth/tenant/${encodeURIComponent(orgName)}` : oauthBase(session);
    await action.run(async () => {
      const reg = await api<{ client_id: string }>('POST', `${base}/register`, {
        body: {
          client_name: form.name.trim(), software_id: randomUuid(), scope: `urn:vcloud:role:${encodeURIComponent(form.role)}`,
          ...(form.softwareVersion.trim() ? { software_version: form.softwareVersion.trim() } : {}), ...(form.uri.trim() ? { client_uri: form.uri.trim() } : {}),
        },
      });
      setCreated(reg.client_id);
    });
  };
  if (created) {
    return (
      <Dialog title="Service account created" onClose={onClose}>
        <p>Its client ID is <code aria-label="Client ID">{created}</code>. On the machine that runs the automation:</p>
        <pre className="dialog-command">{`opendirector login --url ${window.location.origin} --org ${orgName || session.org.name} --service-account ${created} --save ${form.name.trim()}.json`}</pre>
        <p>It prints a user code: enter it on the device page to approve the account.</p>
        <div className="actions"><button type="button" className="primary" onClick={onClose}>Done</button></div>
      </Dialog>
    );
  }
  return (
    <Dialog title="New service account" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name">{(id) => <input id={id} value={form.name} onChange={set('name')} required autoFocus />}</Field>
        <Field label="Role" hint="The service account acts with this role's rights, without user or token management.">
          {(id) => (
            <select id={id} value={form.role} onChange={set('role')} required>
              <option value="">Choose a role</option>
              {roles.data?.map((r) => <option key={r.id} value={r.name}>{r.name}</option>)}
            </select>
          )}
        </Field>
        <Field label="Software version" hint="Optional.">{(id) => <input id={id} value={form.softwareVersion} onChange={set('softwareVersion')} />}</Field>
        <Field label="URI" hint="Optional: where the software lives.">{(id) => <input id={id} value={form.uri} onChange={set('uri')} />}</Field>
        <ErrorMessage error={action.error ?? roles.error} />
        <div className="actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={action.busy}>Create</button>
        </div>
      </form>
    </Dialog>
  );
}

/** A version 4 UUID; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
function randomUuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

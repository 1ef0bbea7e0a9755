import { useEffect, useState, type FormEvent } from 'react';
import type { EntityRef, Org, RightsBundle } from '../../../api/cloudapi/wire.ts';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import { api, isProviderOrg, listAll, type PortalSession } from '../api.ts';
import { href, navigate } from '../router.ts';
import { RightsEditor } from '../components/RightsEditor.tsx';
import { ConfirmDialog, Dialog, EmptyState, ErrorMessage, Field, Loading, useAction, useLoad } from '../components/ui.tsx';

/** Rights bundles and global roles share one shape and one publication model (spec §7.4). */
export interface ContainerKind {
  path: string;
  segment: 'rightsBundles' | 'globalRoles';
  singular: string;
  plural: string;
  manageRight: string;
  intro: string;
}

export const BUNDLES: ContainerKind = {
  path: '/cloudapi/1.0.0/rightsBundles', segment: 'rightsBundles', singular: 'Rights bundle', plural: 'Rights bundles',
  manageRight: RIGHTS.rightsBundleManage,
  intro: 'A rights bundle decides which rights a tenant may use at all. Publish a bundle to tenants to make its rights available there, for example the API token rights.',
};

export const GLOBAL_ROLES: ContainerKind = {
  path: '/cloudapi/1.0.0/globalRoles', segment: 'globalRoles', singular: 'Global role', plural: 'Global roles',
  manageRight: RIGHTS.globalRoleManage,
  intro: 'A global role published to a tenant appears there as a read-only role; changes apply in every tenant at once.',
};

type Container = RightsBundle;

function publication(c: Container): string {
  return c.publishAll ? 'All tenants' : 'Chosen tenants';
}

export function RightsContainerList({ kind, session }: { kind: ContainerKind; session: PortalSession }) {
  const items = useLoad(() => listAll<Container>(`${kind.path}/`, { sortAsc: 'name' }), [kind.path]);
  const [creating, setCreating] = useState(false);
  const canManage = session.rights.includes(kind.manageRight) && !session.apiTokenSession;
  return (
    <>
      <div className="page-head">
        <h1>{kind.plural}</h1>
        {canManage && <button type="button" className="primary" onClick={() => setCreating(true)}>New {kind.singular.toLowerCase()}</button>}
      </div>
      <p className="muted">{kind.intro}</p>
      <ErrorMessage error={items.error} />
      {items.loading && !items.data ? <Loading /> : items.data?.length === 0 ? <EmptyState>No {kind.plural.toLowerCase()} yet.</EmptyState> : (
        <div className="table-wrap"><table>
          <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Published to</th></tr></thead>
          <tbody>
            {items.data?.map((c) => (
              <tr key={c.id}>
                <td><a href={href(['provider', kind.segment, c.id])}>{c.name}</a></td>
                <td>{c.description || '—'}</td>
                <td>{publication(c)}</td>
              </tr>
            ))}
          </tbody>
        </table></div>
      )}
      {creating && <NewContainerDialog kind={kind} onClose={(id) => { setCreating(false); if (id) navigate(href(['provider', kind.segment, id])); else items.reload(); }} />}
    </>
  );
}

function NewContainerDialog({ kind, onClose }: { kind: ContainerKind; onClose: (id?: string) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let created: Container | undefined;
    const ok = await action.run(async () => {
      created = await api<Container>('POST', `${kind.path}/`, { body: { name: name.trim(), description: description.trim(), bundleKey: 'com.vmware.vcloud.undefined.key', readOnly: false, publishAll: false } });
    });
    if (ok) onClose(created?.id);
  };
  return (
    <Dialog title={`New ${kind.singular.toLowerCase()}`} onClose={() => onClose()}>
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

export function RightsContainerDetail({ kind, id, session }: { kind: ContainerKind; id: string; session: PortalSession }) {
  const entityPath = `${kind.path}/${id}`;
  const item = useLoad(() => api<Container>('GET', entityPath), [entityPath]);
  const [deleting, setDeleting] = useState(false);
  const canManage = session.rights.includes(kind.manageRight) && !session.apiTokenSession;
  const c = item.data;
  return (
    <>
      <p><a href={href(['provider', kind.segment])}>← All {kind.plural.toLowerCase()}</a></p>
      <ErrorMessage error={item.error} />
      {item.loading && !c ? <Loading /> : c ? (
        <>
          <div className="page-head">
            <h1>{c.name}</h1>
            {canManage && !c.readOnly && <button type="button" className="danger" onClick={() => setDeleting(true)}>Delete</button>}
          </div>
          <p className="muted">{c.description || 'No description.'}</p>
          <PublicationPanel kind={kind} container={c} editable={canManage} onChanged={item.reload} />
          <section className="panel" aria-labelledby="container-rights">
            <h2 id="container-rights">Rights</h2>
            <RightsEditor entityPath={entityPath} tenant={null} editable={canManage && !c.readOnly} />
          </section>
        </>
      ) : null}
      {deleting && c && (
        <ConfirmDialog title={`Delete ${kind.singular.toLowerCase()}`} confirmLabel="Delete" onClose={() => setDeleting(false)}
          onConfirm={async () => { await api('DELETE', entityPath); navigate(href(['provider', kind.segment])); }}>
          <p>Delete <strong>{c.name}</strong>? Tenants it is published to lose what it grants.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** Publish to all tenants, or to chosen ones (`…/tenants/publish|unpublish|publishAll|unpublishAll`). */
function PublicationPanel({ kind, container, editable, onChanged }: { kind: ContainerKind; container: Container; editable: boolean; onChanged: () => void }) {
  const entityPath = `${kind.path}/${container.id}`;
  const orgs = useLoad(async () => (await listAll<Org>('/cloudapi/1.0.0/orgs/', { sortAsc: 'name' })).filter((o) => !isProviderOrg(o.name)), []);
  const tenants = useLoad(() => listAll<EntityRef>(`${entityPath}/tenants`), [entityPath]);
  const [scope, setScope] = useState<'all' | 'chosen'>(container.publishAll ? 'all' : 'chosen');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => setScope(container.publishAll ? 'all' : 'chosen'), [container.publishAll]);
  useEffect(() => setChosen(new Set(tenants.data?.map((t) => t.id))), [tenants.data]);
  const toggle = (orgId: string) => {
    setSaved(false);
    setChosen((s) => {
      const n = new Set(s);
      if (n.has(orgId)) n.delete(orgId); else n.add(orgId);
      return n;
    });
  };
  const save = () => action.run(async () => {
    if (scope === 'all') {
      if (!container.publishAll) await api('POST', `${entityPath}/tenants/publishAll`, { body: {} });
    } else {
      if (container.publishAll) await api('POST', `${entityPath}/tenants/unpublishAll`, { body: {} });
      const before = new Set((await listAll<EntityRef>(`${entityPath}/tenants`)).map((t) => t.id));
      const ref = (o: Org) => ({ name: o.name, id: o.id });
      const add = (orgs.data ?? []).filter((o) => chosen.has(o.id) && !before.has(o.id)).map(ref);
      const remove = (orgs.data ?? []).filter((o) => !chosen.has(o.id) && before.has(o.id)).map(ref);
      if (add.length > 0) await api('POST', `${entityPath}/tenants/publish`, { body: { values: add } });
      if (remove.length > 0) await api('POST', `${entityPath}/tenants/unpublish`, { body: { values: remove } });
    }
    setSaved(true);
    tenants.reload();
    onChanged();
  });
  return (
    <section className="panel" aria-labelledby="publication-title">
      <h2 id="publication-title">Publication</h2>
      <ErrorMessage error={orgs.error ?? tenants.error} />
      <fieldset disabled={!editable}>
        <legend>Publish to</legend>
        <div className="radio">
          <input type="radio" id="publish-all" name="publish-scope" checked={scope === 'all'} onChange={() => { setScope('all'); setSaved(false); }} />
          <label htmlFor="publish-all">All tenants, now and in the future</label>
        </div>
        <div className="radio">
          <input type="radio" id="publish-chosen" name="publish-scope" checked={scope === 'chosen'} onChange={() => { setScope('chosen'); setSaved(false); }} />
          <label htmlFor="publish-chosen">Chosen tenants</label>
        </div>
        {scope === 'chosen' && (
          orgs.loading && !orgs.data ? <Loading /> : orgs.data?.length === 0 ? <EmptyState>There are no tenant organizations yet.</EmptyState> : (
            <ul className="checks" aria-label="Tenants">
              {orgs.data?.map((o) => (
                <li key={o.id}>
                  <input type="checkbox" id={`tenant-${o.id}`} checked={chosen.has(o.id)} onChange={() => toggle(o.id)} />
                  <label htmlFor={`tenant-${o.id}`}>{o.name}{o.displayName && o.displayName !== o.name ? <small className="muted"> — {o.displayName}</small> : null}</label>
                </li>
              ))}
            </ul>
          )
        )}
      </fieldset>
      <ErrorMessage error={action.error} />
      {editable && (
        <div className="actions left">
          <button type="button" className="primary" onClick={save} disabled={action.busy}>Save publication</button>
          <span role="status" className="muted">{saved ? 'Publication saved.' : ''}</span>
        </div>
      )}
    </section>
  );
}

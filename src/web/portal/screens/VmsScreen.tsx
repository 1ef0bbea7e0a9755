import { useEffect, useState, type FormEvent } from 'react';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import type { EntityRef, PagedEnvelope } from '../../../api/cloudapi/wire.ts';
import { api, fiqlValue, uuidOf, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { ConfirmDialog, EmptyState, ErrorMessage, Field, Loading, Pager, useAction, useLoad } from '../components/ui.tsx';

interface VmRow {
  id: string;
  name: string;
  status: string;
  guestOs: string;
  cpuCount: number;
  memoryMb: number;
  vapp: EntityRef;
  vdc: EntityRef;
  org: EntityRef;
}

export const VM_PAGE_SIZE = 25;

function statusLabel(status: string): string {
  return status.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase());
}

/** FIQL of the search box and status choice: name contains the text (case-insensitive), status is. */
export function vmFilter(text: string, status: string): string {
  const parts: string[] = [];
  // `*` is FIQL's wildcard here: one typed by the person is a literal.
  if (text.trim()) parts.push(`name==*${fiqlValue(text.trim()).replace(/\*/g, '\\*')}*`);
  if (status) parts.push(`status==${status}`);
  return parts.join(';');
}

/**
 * Virtual machines (`GET /cloudapi/1.0.0/vms`, OpenDirector's inventory list), a page at a time
 * and searchable by name and status, with power on / off through VCD's own call,
 * `POST /api/vApp/vm-{uuid}/power/action/powerOn|powerOff`. Powering off asks first: it cuts
 * the machine's power, as pulling the plug would.
 */
export function VmsScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, scopeLabel, spansAllOrgs: allOrgs, picker } = useOperatingOrg(session, route, { spansOrgs: true });
  const [draft, setDraft] = useState({ text: '', status: '' });
  const [applied, setApplied] = useState({ text: '', status: '' });
  const [page, setPage] = useState(1);
  // Another org's list starts at its first page.
  useEffect(() => setPage(1), [tenant]);
  const vms = useLoad(() => {
    const q = new URLSearchParams({ sortAsc: 'name', page: String(page), pageSize: String(VM_PAGE_SIZE) });
    const filter = vmFilter(applied.text, applied.status);
    if (filter) q.set('filter', filter);
    return api<PagedEnvelope<VmRow>>('GET', `/cloudapi/1.0.0/vms?${q.toString()}`, { tenant });
  }, [tenant, applied, page]);
  const action = useAction();
  const [pending, setPending] = useState<string | null>(null);
  const [poweringOff, setPoweringOff] = useState<VmRow | null>(null);
  const canPower = session.rights.includes(RIGHTS.vappPower);
  const power = async (vm: VmRow, op: 'powerOn' | 'powerOff') => {
    setPending(vm.id);
    try {
      await api<string>('POST', `/api/vApp/vm-${uuidOf(vm.id)}/power/action/${op}`, { xml: true, tenant });
      vms.reload();
    } finally {
      setPending(null);
    }
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    setPage(1);
    setApplied(draft);
  };
  const env = vms.data;
  const filtered = applied.text.trim() !== '' || applied.status !== '';
  return (
    <>
      <div className="page-head">
        <h1>Virtual machines{scopeLabel ? <span className="muted"> · {scopeLabel}</span> : null}</h1>
        {picker}
        <button type="button" onClick={vms.reload}>Refresh</button>
      </div>
      <form className="filters" onSubmit={search} role="search" aria-label="Search virtual machines">
        <Field label="Name contains">{(id) => <input id={id} type="search" value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} />}</Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
              <option value="">Any</option>
              <option value="POWERED_ON">Powered on</option>
              <option value="POWERED_OFF">Powered off</option>
            </select>
          )}
        </Field>
        <div className="actions left">
          <button type="submit" className="primary">Search</button>
          {filtered && <button type="button" onClick={() => { setDraft({ text: '', status: '' }); setApplied({ text: '', status: '' }); setPage(1); }}>Clear</button>}
        </div>
      </form>
      <ErrorMessage error={vms.error ?? action.error} />
      {vms.loading && !env ? <Loading /> : env?.values.length === 0 ? (
        <EmptyState>{filtered ? 'No virtual machines match this search.' : 'No virtual machines in this organization.'}</EmptyState>
      ) : env ? (
        <>
          <div className="table-wrap">
            <table className="vms">
              <thead>
                <tr><th scope="col">Name</th><th scope="col">vApp</th><th scope="col">VDC</th>{allOrgs && <th scope="col">Organization</th>}<th scope="col">Status</th><th scope="col">Guest OS</th><th scope="col">CPUs</th><th scope="col">Memory</th><th scope="col"><span className="sr-only">Power</span></th></tr>
              </thead>
              <tbody>
                {env.values.map((vm) => (
                  <tr key={vm.id}>
                    <td>{vm.name}</td>
                    <td>{vm.vapp.name}</td>
                    <td>{vm.vdc.name}</td>
                    {allOrgs && <td>{vm.org.name}</td>}
                    <td><span className={`badge ${vm.status.toLowerCase()}`}>{statusLabel(vm.status)}</span></td>
                    <td>{vm.guestOs || '—'}</td>
                    <td>{vm.cpuCount}</td>
                    <td>{vm.memoryMb >= 1024 ? `${vm.memoryMb / 1024} GB` : `${vm.memoryMb} MB`}</td>
                    <td className="row-actions">
                      {canPower && (vm.status === 'POWERED_ON'
                        ? <button type="button" disabled={pending === vm.id} onClick={() => setPoweringOff(vm)} aria-label={`Power off ${vm.name}`}>Power off</button>
                        : <button type="button" disabled={pending === vm.id} onClick={() => action.run(() => power(vm, 'powerOn'))} aria-label={`Power on ${vm.name}`}>Power on</button>)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Virtual machine pages" page={page} envelope={env} noun={['virtual machine', 'virtual machines']} onPage={setPage} />
        </>
      ) : null}
      {poweringOff && (
        <ConfirmDialog title="Power off virtual machine" confirmLabel="Power off" onClose={() => setPoweringOff(null)} onConfirm={() => power(poweringOff, 'powerOff')}>
          <p>Power off <strong>{poweringOff.name}</strong>{allOrgs ? <> of {poweringOff.org.name}</> : null}? This cuts its power at once, like pulling the plug: unsaved work in the machine is lost.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

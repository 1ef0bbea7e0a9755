import { useState } from 'react';
import { RIGHTS } from '../../../rbac/rights-catalog.ts';
import type { EntityRef } from '../../../api/cloudapi/wire.ts';
import { api, listAll, uuidOf, type PortalSession } from '../api.ts';
import type { Route } from '../router.ts';
import { useOperatingOrg } from '../components/OrgPicker.tsx';
import { EmptyState, ErrorMessage, Loading, useAction, useLoad } from '../components/ui.tsx';

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

function statusLabel(status: string): string {
  return status.replace(/_/g, ' ').toLowerCase().replace(/^\w/, (c) => c.toUpperCase());
}

/**
 * Virtual machines (`GET /cloudapi/1.0.0/vms`, OpenDirector's inventory list) with power on / off
 * through VCD's own call, `POST /api/vApp/vm-{uuid}/power/action/powerOn|powerOff`.
 */
export function VmsScreen({ session, route }: { session: PortalSession; route: Route }) {
  const { tenant, scopeLabel, spansAllOrgs: allOrgs, picker } = useOperatingOrg(session, route);
  const vms = useLoad(() => listAll<VmRow>('/cloudapi/1.0.0/vms', { sortAsc: 'name' }, tenant), [tenant]);
  const action = useAction();
  const [pending, setPending] = useState<string | null>(null);
  const canPower = session.rights.includes(RIGHTS.vappPower);
  const power = (vm: VmRow, op: 'powerOn' | 'powerOff') => {
    setPending(vm.id);
    return action.run(async () => {
      await api<string>('POST', `/api/vApp/vm-${uuidOf(vm.id)}/power/action/${op}`, { xml: true, tenant });
      vms.reload();
    }).finally(() => setPending(null));
  };
  return (
    <>
      <div className="page-head">
        <h1>Virtual machines{scopeLabel ? <span className="muted"> · {scopeLabel}</span> : null}</h1>
        {picker}
        <button type="button" onClick={vms.reload}>Refresh</button>
      </div>
      <ErrorMessage error={vms.error ?? action.error} />
      {vms.loading && !vms.data ? <Loading /> : vms.data?.length === 0 ? <EmptyState>No virtual machines in this organization.</EmptyState> : (
        <table>
          <thead>
            <tr><th scope="col">Name</th><th scope="col">vApp</th><th scope="col">VDC</th>{allOrgs && <th scope="col">Organization</th>}<th scope="col">Status</th><th scope="col">Guest OS</th><th scope="col">CPUs</th><th scope="col">Memory</th><th scope="col"><span className="sr-only">Power</span></th></tr>
          </thead>
          <tbody>
            {vms.data?.map((vm) => (
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
                    ? <button type="button" disabled={pending === vm.id} onClick={() => power(vm, 'powerOff')} aria-label={`Power off ${vm.name}`}>Power off</button>
                    : <button type="button" disabled={pending === vm.id} onClick={() => power(vm, 'powerOn')} aria-label={`Power on ${vm.name}`}>Power on</button>)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

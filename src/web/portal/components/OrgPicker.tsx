import type { Org } from '../../../api/cloudapi/wire.ts';
import { isProviderOrg, listAll, uuidOf, type PortalSession } from '../api.ts';
import { href, navigate, type Route } from '../router.ts';
import { useLoad } from './ui.tsx';

const ALL_ORGS = 'All organizations';

/**
 * The org an administration screen acts in. Tenants always act in their own org; the provider
 * picks any org, sent as X-VMWARE-VCLOUD-TENANT-CONTEXT (spec §3.9) and kept in the URL (`?org=`).
 * Returns the tenant-context UUID (null = the caller's own org), labels, and the picker to render.
 *
 * `spansOrgs`: the screen's list covers every org when the provider sends no tenant context (VMs,
 * audit trail). The picker's entry for that case then reads "All organizations", like the
 * heading, instead of the provider's own org name.
 */
export function useOperatingOrg(session: PortalSession, route: Route, opts: { spansOrgs?: boolean } = {}) {
  const provider = isProviderOrg(session.org.name);
  const chosen = route.query.get('org');
  const orgs = useLoad(() => (provider ? listAll<Org>('/cloudapi/1.0.0/orgs/') : Promise.resolve([])), [provider]);
  const ownId = uuidOf(session.org.id);
  const tenant = provider && chosen && chosen !== ownId ? chosen : null;
  const orgName = tenant ? orgs.data?.find((o) => uuidOf(o.id) === tenant)?.name ?? '' : session.org.name;
  /** Lists span every org for a provider outside a tenant context (audit trail, VMs). */
  const spansAllOrgs = provider && !tenant && opts.spansOrgs === true;
  const scopeLabel = spansAllOrgs ? ALL_ORGS : orgName;
  const picker = provider ? (
    <div className="field inline">
      <label htmlFor="operating-org">Organization</label>
      <select
        id="operating-org" value={tenant ?? ownId}
        onChange={(e) => navigate(href(route.segments.slice(0, 2), { org: e.target.value === ownId ? null : e.target.value }))}
      >
        {(orgs.data ?? [{ id: session.org.id, name: session.org.name } as Org]).map((o) => (
          <option key={o.id} value={uuidOf(o.id)}>{opts.spansOrgs && uuidOf(o.id) === ownId ? ALL_ORGS : o.name}</option>
        ))}
      </select>
    </div>
  ) : null;
  return { tenant, orgName, scopeLabel, spansAllOrgs, picker };
}

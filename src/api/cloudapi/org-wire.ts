import { toUrn } from '../../common/ids.ts';
import { SYSTEM_ORG_NAME } from '../../rbac/rights-catalog.ts';
import type { OrgSummary } from '../../tenancy/org-queries.ts';

/**
 * CloudAPI Org object (spec §7.6, `TmOrg` in go-vcloud-director) plus our `requireMfa`
 * (clients ignore unknown fields). Catalogs and independent disks are not modelled (counts 0);
 * no org may publish catalogs. Every org is managed by System; only System manages orgs, and
 * it manages every tenant directly. maskedEventTaskUsername: VCD's value is unconfirmed [U];
 * null decodes into Go's string as "".
 */
export function orgWire(o: OrgSummary, system: { id: string; tenantCount: number }) {
  const isSystem = o.name === SYSTEM_ORG_NAME;
  return {
    id: toUrn('org', o.id),
    name: o.name,
    displayName: o.displayName,
    description: o.description,
    isEnabled: o.isEnabled === 1,
    orgVdcCount: Number(o.vdcCount ?? 0),
    catalogCount: 0,
    vappCount: Number(o.vappCount ?? 0),
    runningVMCount: Number(o.runningVmCount ?? 0),
    userCount: Number(o.userCount ?? 0),
    diskCount: 0,
    canPublish: false,
    managedBy: { name: SYSTEM_ORG_NAME, id: toUrn('org', system.id) },
    canManageOrgs: isSystem,
    directlyManagedOrgCount: isSystem ? system.tenantCount : 0,
    maskedEventTaskUsername: null,
    requireMfa: o.requireMfa === 1,
  };
}

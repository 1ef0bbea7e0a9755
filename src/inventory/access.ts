import type { Principal } from '../sessions/principal.ts';

/**
 * Which orgs an inventory read or write may touch: exactly one org, or every org. Made explicit
 * (STYLE §3: an org id is never optional) so "all orgs" is a deliberate choice, never a missing
 * argument.
 */
export type OrgScope = { readonly kind: 'org'; readonly orgId: string } | { readonly kind: 'all' };

/**
 * The scope of a request (spec §9.1: "Sysadmin: all orgs; tenant: own org"): a provider acting in
 * its own org sees every org; a provider with a tenant-context header (spec §3.9) sees that
 * tenant only; a tenant sees its own org (the guard already refused any other tenant context).
 */
export function orgScopeFor(p: Pick<Principal, 'isProvider' | 'orgId'>, operatingOrgId: string): OrgScope {
  if (p.isProvider && operatingOrgId === p.orgId) return { kind: 'all' };
  return { kind: 'org', orgId: operatingOrgId };
}

/** True when the scope lets the caller see rows of `orgId`. */
export function isInScope(scope: OrgScope, orgId: string): boolean {
  return scope.kind === 'all' || scope.orgId === orgId;
}


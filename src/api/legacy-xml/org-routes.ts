import { AppError } from '../../errors/app-error.ts';
import { toUrn, uuidFromUrn } from '../../common/ids.ts';
import { RIGHTS } from '../../rbac/rights-catalog.ts';
import { orgScopeFor } from '../../inventory/index.ts';
import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import type { Services } from '../http/services.ts';
import { preparedQuery } from '../../storage/prepared-query.ts';
import { escapeXml, xmlDocument, type XmlNode } from '../http/xml.ts';
import { MEDIA, hrefs, link, reference, vcloudRootAttributes, xmlBool, xmlResult, xmlTextResult } from './xml-wire.ts';

type OrgListQueries = { all: () => Promise<OrgRef[]>; one: (orgId: string) => Promise<OrgRef[]> };
type OrgRef = { id: string; name: string };
const orgListQueries = new WeakMap<Services, OrgListQueries>();

/** The list's two query shapes, built and compiled once per server (issue 7); values are bound per request. */
function orgListQueriesOf(s: Services): OrgListQueries {
  let q = orgListQueries.get(s);
  if (!q) {
    const orgs = () => s.db.selectFrom('orgs').select(['id', 'name']);
    q = {
      all: preparedQuery(s.db, 0, () => orgs().orderBy('name')),
      one: preparedQuery(s.db, 1, (id) => orgs().where('id', '=', id).orderBy('name')),
    };
    orgListQueries.set(s, q);
  }
  return q;
}

/** Orgs the caller may see, by name (spec §9.1: sysadmin all, tenant its own). Read per request. */
function visibleOrgs(c: AuthedContext): Promise<OrgRef[]> {
  const scope = orgScopeFor(c.principal, c.org.orgId);
  const queries = orgListQueriesOf(c.services);
  return scope.kind === 'org' ? queries.one(scope.orgId) : queries.all();
}

/**
 * `OrgList` (spec §9.1, seed 001): one `Org` reference per visible org, attributes in the order
 * seed 001 shows (href, type, name). No `id`: Go parses the UUID out of the href.
 */
async function orgListXml(c: AuthedContext) {
  const orgs = await visibleOrgs(c);
  // What xmlDocument writes for { ...root attributes, href, type, Org: [{ href, type, name }] },
  // spelled out: the root's attributes are the same on every request (issue 7).
  const open = orgListOpenTag(c.baseUrl);
  let xml = open;
  if (orgs.length === 0) xml += '/>';
  else {
    xml += '>';
    for (const o of orgs) xml += `<Org href="${escapeXml(hrefs.org(c.baseUrl, o.id))}" type="${MEDIA.org}" name="${escapeXml(o.name)}"/>`;
    xml += '</OrgList>';
  }
  return xmlTextResult(xml, MEDIA.orgList, c.version);
}

let orgListOpen: { baseUrl: string; xml: string } | undefined;

/** The declaration and the OrgList start tag without its closing `>` or `/>`, for one public origin. */
function orgListOpenTag(baseUrl: string): string {
  if (orgListOpen?.baseUrl !== baseUrl) {
    const empty = xmlDocument('OrgList', { ...vcloudRootAttributes(), '@_href': hrefs.orgList(baseUrl), '@_type': MEDIA.orgList });
    orgListOpen = { baseUrl, xml: empty.slice(0, -'/>'.length) };
  }
  return orgListOpen.xml;
}

/**
 * `Org` (spec §9.2): `id` is the URN (Go derives the tenant context from it). Links: one per VDC
 * (Go's `org.GetVDCByName` looks for `vdc+xml` links by name) for callers who may view VDCs, and
 * for the provider the `alternate` AdminOrg. No metadata link: OpenDirector serves no metadata.
 * An unknown or invisible org is 403, as VCD's XML API answers for objects you cannot see.
 */
async function orgXml(c: AuthedContext) {
  const id = uuidFromUrn(c.params.id ?? '', 'org');
  const scope = orgScopeFor(c.principal, c.org.orgId);
  if (!id || (scope.kind === 'org' && scope.orgId !== id)) throw new AppError('ACCESS_FORBIDDEN');
  const org = await c.services.db.selectFrom('orgs').select(['id', 'name', 'display_name', 'description', 'is_enabled'])
    .where('id', '=', id).executeTakeFirst();
  if (!org) throw new AppError('ACCESS_FORBIDDEN');
  const links: XmlNode[] = [];
  if (c.principal.rights.has(RIGHTS.vdcView)) {
    const vdcs = await c.services.db.selectFrom('vdcs').select(['id', 'name']).where('org_id', '=', org.id).orderBy('name').execute();
    for (const v of vdcs) links.push(link('down', hrefs.vdc(c.baseUrl, v.id), MEDIA.vdc, v.name));
  }
  if (c.principal.isProvider) links.push(link('alternate', hrefs.adminOrg(c.baseUrl, org.id), MEDIA.adminOrg));
  return xmlResult('Org', {
    ...vcloudRootAttributes(),
    '@_name': org.name,
    '@_id': toUrn('org', org.id),
    '@_href': hrefs.org(c.baseUrl, org.id),
    '@_type': MEDIA.org,
    ...(links.length > 0 ? { Link: links } : {}),
    Description: org.description,
    FullName: org.display_name,
    IsEnabled: xmlBool(org.is_enabled),
  }, MEDIA.org, c.version);
}

/** The `Org` reference used by other documents (VCloud, tasks). */
export function orgReference(baseUrl: string, org: { id: string; name: string }): XmlNode {
  return reference(hrefs.org(baseUrl, org.id), org.name, MEDIA.org);
}

/**
 * Legacy XML org entry points (spec §9.1, §9.2). No right is needed: Go calls `GET /api/org`
 * right after `SetToken`/`SetApiToken` to prove the token works, whatever the user's role.
 */
export const xmlOrgRoutes = defineRoutes([
  {
    id: 'xml.orgList', method: 'GET', path: '/api/org', family: 'xml', auth: 'session',
    handler: (ctx) => orgListXml(authed(ctx)),
  },
  {
    id: 'xml.org', method: 'GET', path: '/api/org/:id', family: 'xml', auth: 'session',
    handler: (ctx) => orgXml(authed(ctx)),
  },
]);

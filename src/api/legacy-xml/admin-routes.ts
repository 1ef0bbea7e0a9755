import { authed, defineRoutes, type AuthedContext } from '../http/route.ts';
import { MEDIA, hrefs, link, reference, vcloudRootAttributes, xmlResult } from './xml-wire.ts';

/**
 * The product version we claim in `/api/admin` (spec §2.4). 10.6.1 pairs with API 39.1, the
 * highest version /api/versions lists (spec §2.2); the fourth part stands for VCD's build number.
 */
export const VCD_PRODUCT_VERSION = '10.6.1.0';
/** Release date shown after the version. Fixed, so the string never changes between restarts. */
const RELEASE_DATE = new Date('2026-11-23T00:00:00Z');

/**
 * `VCloud/Description` = `"<a.b.c.build> <date>"` (spec §2.4). The Go SDK splits on the first
 * whitespace and parses the rest with dateparse.ParseStrict; the date format VCD uses is [U], so
 * we send RFC 1123 (`Mon, 23 Nov 2026 00:00:00 GMT`), a layout every date parser accepts.
 */
export function vcdVersionDescription(): string {
  return `${VCD_PRODUCT_VERSION} ${RELEASE_DATE.toUTCString()}`;
}

async function vcloudXml(c: AuthedContext) {
  const orgs = await c.services.db.selectFrom('orgs').select(['id', 'name']).orderBy('name').execute();
  return xmlResult('VCloud', {
    ...vcloudRootAttributes(),
    '@_name': 'vCloud',
    '@_href': `${c.baseUrl}/api/admin/`,
    '@_type': MEDIA.vcloud,
    Link: [
      link('down', hrefs.orgList(c.baseUrl), MEDIA.orgList),
      link('down', `${c.baseUrl}/api/query`, MEDIA.queryList),
    ],
    Description: vcdVersionDescription(),
    OrganizationReferences: {
      OrganizationReference: orgs.map((o) => reference(hrefs.adminOrg(c.baseUrl, o.id), o.name, MEDIA.adminOrg)),
    },
  }, MEDIA.vcloud, c.version);
}

/**
 * `GET /api/admin` → `VCloud` (spec §9.5). System-org sessions only (spec §2.4 [U]): the
 * document lists every organization, which a tenant must not learn.
 */
export const xmlAdminRoutes = defineRoutes([
  {
    id: 'xml.admin', method: 'GET', path: '/api/admin', family: 'xml', auth: 'session', providerOnly: true,
    handler: (ctx) => vcloudXml(authed(ctx)),
  },
]);

import type { HandlerResult } from '../http/route.ts';
import { VCLOUD_NS, xmlDocument, type XmlNode } from '../http/xml.ts';

/** Media types of the XML entities served here (spec §1.5, G:types/v56/constants.go). */
export const MEDIA = {
  orgList: 'application/vnd.vmware.vcloud.orgList+xml',
  org: 'application/vnd.vmware.vcloud.org+xml',
  adminOrg: 'application/vnd.vmware.admin.organization+xml',
  vcloud: 'application/vnd.vmware.admin.vcloud+xml',
  user: 'application/vnd.vmware.admin.user+xml',
  queryList: 'application/vnd.vmware.vcloud.query.queryList+xml',
  vdc: 'application/vnd.vmware.vcloud.vdc+xml',
  vApp: 'application/vnd.vmware.vcloud.vApp+xml',
  vm: 'application/vnd.vmware.vcloud.vm+xml',
  task: 'application/vnd.vmware.vcloud.task+xml',
  owner: 'application/vnd.vmware.vcloud.owner+xml',
} as const;

/**
 * The namespace declarations VCD puts on every root element (seed 001's OrgList shows them).
 * Clients ignore the extra prefixes; sending them keeps our documents byte-close to VCD's.
 */
export function vcloudRootAttributes(): XmlNode {
  return ROOT_ATTRIBUTES;
}

/** Frozen: callers spread it into their root element. */
const ROOT_ATTRIBUTES: XmlNode = Object.freeze({
    '@_xmlns': VCLOUD_NS,
    '@_xmlns:vmext': 'http://www.vmware.com/vcloud/extension/v1.5',
    '@_xmlns:ovf': 'http://schemas.dmtf.org/ovf/envelope/1',
    '@_xmlns:vssd': 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData',
    '@_xmlns:common': 'http://schemas.dmtf.org/wbem/wscim/1/common',
    '@_xmlns:rasd': 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData',
    '@_xmlns:vmw': 'http://www.vmware.com/schema/ovf',
    '@_xmlns:ovfenv': 'http://schemas.dmtf.org/ovf/environment/1',
    '@_xmlns:ns9': 'http://www.vmware.com/vcloud/versions',
});

/**
 * An XML response. The Content-Type header carries the media type in lower case plus the
 * negotiated version: seed 001 shows VCD answering `application/vnd.vmware.vcloud.orglist+xml;version=36.1`
 * while the document's own `type` attribute keeps the camel case (`orgList`).
 */
export function xmlResult(root: string, body: XmlNode, mediaType: string, version: string, status = 200): HandlerResult {
  return xmlTextResult(xmlDocument(root, body), mediaType, version, status);
}

/** An XML response whose document is already serialised. */
export function xmlTextResult(xml: string, mediaType: string, version: string, status = 200): HandlerResult {
  return { status, body: xml, contentType: `${mediaType.toLowerCase()};version=${version}` };
}

/** Absolute hrefs (spec §1.1, §1.2: XML hrefs carry the bare UUID; VMs and vApps use VCD's `vm-`/`vapp-` prefixes). */
export const hrefs = {
  orgList: (base: string) => `${base}/api/org/`,
  org: (base: string, id: string) => `${base}/api/org/${id}`,
  adminOrg: (base: string, id: string) => `${base}/api/admin/org/${id}`,
  user: (base: string, id: string) => `${base}/api/admin/user/${id}`,
  vdc: (base: string, id: string) => `${base}/api/vdc/${id}`,
  vapp: (base: string, id: string) => `${base}/api/vApp/vapp-${id}`,
  vm: (base: string, id: string) => `${base}/api/vApp/vm-${id}`,
  task: (base: string, id: string) => `${base}/api/task/${id}`,
};

/** A `Link` element. */
export function link(rel: string, href: string, type?: string, name?: string): XmlNode {
  return { '@_rel': rel, '@_href': href, ...(type ? { '@_type': type } : {}), ...(name !== undefined ? { '@_name': name } : {}) };
}

/** A reference element (`Org`, `Owner`, `User`, `ResourceEntity`…): href, name, type and optionally id. */
export function reference(href: string, name: string, type: string, id?: string): XmlNode {
  return { '@_href': href, ...(id ? { '@_id': id } : {}), '@_name': name, '@_type': type };
}

/** XML attribute text for a boolean (the builder would otherwise drop `="true"`). */
export function xmlBool(v: boolean | number): string {
  return v === true || v === 1 ? 'true' : 'false';
}

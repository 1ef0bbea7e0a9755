import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Only the five predefined XML entities (&amp; in hrefs); DTDs are refused before parsing.
  processEntities: true,
  isArray: (name) => name === 'Link' || name.endsWith('Record') || name.endsWith('Reference'),
});

/**
 * Parses an XML document from the server into plain objects: attributes are `@_name` keys,
 * namespace prefixes dropped, `Link` and `*Record` elements always arrays. A DTD is refused
 * (a hostile or broken proxy must not make the SDK expand entities).
 */
export function parseXmlDocument(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new Error('XML documents with a DTD are not accepted');
  return parser.parse(text) as Record<string, unknown>;
}

/** The attributes of an element as a plain string map (without the `@_` prefix). */
export function attributesOf(node: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof node !== 'object' || node === null) return out;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') && typeof v === 'string' && !k.startsWith('@_xmlns')) out[k.slice(2)] = v;
  }
  return out;
}

/** The href of the first `<Link rel="…">` child of an element, if any. */
export function linkHref(node: unknown, rel: string): string | null {
  if (typeof node !== 'object' || node === null) return null;
  const links = (node as Record<string, unknown>).Link;
  if (!Array.isArray(links)) return null;
  for (const link of links) {
    const a = attributesOf(link);
    if (a.rel === rel && a.href) return a.href;
  }
  return null;
}

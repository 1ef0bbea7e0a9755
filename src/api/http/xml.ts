import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../errors/app-error.ts';

/** Namespace of the legacy XML API (spec §1.1). */
export const VCLOUD_NS = 'http://www.vmware.com/vcloud/v1.5';

/** fast-xml-parser's builder options; the direct writer below produces exactly its output. */
export const XML_BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  // Without this the builder writes `deprecated="true"` as a bare `deprecated` (not XML).
  suppressBooleanAttributes: false,
  format: false,
  processEntities: true,
} as const;

const builder = new XMLBuilder(XML_BUILDER_OPTIONS);

/** An XML element as fast-xml-parser's builder takes it: `@_x` keys are attributes. */
export type XmlNode = { [key: string]: string | number | boolean | undefined | XmlNode | XmlNode[] | string[] };

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

/** Serialises one root element with the XML declaration VCD sends (seed 001). */
export function xmlDocument(root: string, body: XmlNode): string {
  let xml: string;
  try {
    xml = elementOrText(root, body);
  } catch (err) {
    if (err !== UNSUPPORTED) throw err;
    xml = builder.build({ [root]: body }) as string;
  }
  return XML_DECLARATION + xml;
}

/**
 * A direct serialiser producing exactly what `builder` (the options above) writes for the shapes
 * XmlNode allows, at a fraction of its cost (issue 7: the builder joins and copies a path array
 * per element and runs five regular expressions per value). Shapes outside XmlNode (Date values,
 * nested arrays) throw UNSUPPORTED and go to the builder. test/api/http/xml.test.ts compares both
 * on generated documents.
 */
const UNSUPPORTED = new Error('shape not handled by the direct XML serialiser');
const SPECIAL = /[&<>'"]/;
const SPECIALS = /[&<>'"]/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };
const hasOwn = Object.prototype.hasOwnProperty;

/** The builder's entity replacement (processEntities): `&`, `<`, `>`, `'` and `"`. */
export function escapeXml(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ENTITY[c]!) : s;
}

/** The builder's text element: strings escaped, other values as they are; empty → `<key/>`. */
function textElement(key: string, value: unknown, attrs: string): string {
  if (key[0] === '?') return `<${key}${attrs}?>`;
  if (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol') throw UNSUPPORTED;
  const text = typeof value === 'string' ? escapeXml(value) : value;
  return text === '' ? `<${key}${attrs}/>` : `<${key}${attrs}>${String(text)}</${key}>`;
}

const emptyElement = (key: string) => (key[0] === '?' ? `<${key}?>` : `<${key}/>`);

/** An object value: an element with attributes and children, or a text element (`#text` alone). */
function elementOrText(key: string, node: object): string {
  let attrs = '';
  let inner = '';
  for (const k in node) {
    if (!hasOwn.call(node, k)) continue;
    const v = (node as Record<string, unknown>)[k];
    if (v === undefined) continue;
    // As the builder: `@_x` is the attribute x; a bare `@_` is an element.
    const attr = k.startsWith('@_') ? k.slice(2) : '';
    if (v === null) {
      if (!attr) inner += emptyElement(k);
    } else if (v instanceof Date) {
      throw UNSUPPORTED;
    } else if (typeof v === 'function' || typeof v === 'symbol') {
      throw UNSUPPORTED;
    } else if (typeof v !== 'object') {
      if (attr) attrs += ` ${attr}="${escapeXml(String(v))}"`;
      else if (k === '#text') inner += escapeXml(String(v));
      else inner += textElement(k, v, '');
    } else if (Array.isArray(v)) {
      // As the builder: null items are written at once, the others after the whole array.
      let items = '';
      for (const item of v as unknown[]) {
        if (item === undefined) continue;
        if (item === null) inner += emptyElement(k);
        else if (typeof item !== 'object') items += textElement(k, item, '');
        else if (Array.isArray(item) || item instanceof Date) throw UNSUPPORTED;
        else items += elementOrText(k, item);
      }
      inner += items;
    } else {
      inner += elementOrText(k, v);
    }
  }
  const text = (node as Record<string, unknown>)['#text'];
  if (text !== undefined && Object.keys(node).length === 1) return textElement(key, text, attrs);
  if (inner === '') return key[0] === '?' ? `<${key}${attrs}?>` : `<${key}${attrs}/>`;
  return key[0] === '?' ? `<${key}${attrs}?>${inner}` : `<${key}${attrs}>${inner}</${key}>`;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Hostile input: never expand entities, never read a DTD (issue 2, issue 8).
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

/**
 * Parses a request body as XML. DTDs are refused outright; any parse problem becomes a
 * MALFORMED_BODY AppError (never a 500).
 */
export function parseXmlBody(text: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new AppError('MALFORMED_BODY', { message: 'XML documents with a DTD are not accepted.' });
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new AppError('MALFORMED_BODY', { message: 'The XML body is not well formed.', detail: valid.err.msg });
  }
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new AppError('MALFORMED_BODY', { message: 'The XML body is not well formed.', cause });
  }
}

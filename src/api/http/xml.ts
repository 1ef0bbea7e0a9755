import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../errors/app-error.ts';

/** Namespace of the legacy XML API (spec §1.1). */
export const VCLOUD_NS = 'http://www.vmware.com/vcloud/v1.5';

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  // Without this the builder writes `deprecated="true"` as a bare `deprecated` (not XML).
  suppressBooleanAttributes: false,
  format: false,
  processEntities: true,
});

/** An XML element as fast-xml-parser's builder takes it: `@_x` keys are attributes. */
export type XmlNode = { [key: string]: string | number | boolean | undefined | XmlNode | XmlNode[] | string[] };

/** Serialises one root element with the XML declaration VCD sends (seed 001). */
export function xmlDocument(root: string, body: XmlNode): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${builder.build({ [root]: body }) as string}`;
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

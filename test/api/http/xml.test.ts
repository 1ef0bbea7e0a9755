import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { XMLBuilder } from 'fast-xml-parser';
import { XML_BUILDER_OPTIONS, escapeXml, xmlDocument, type XmlNode } from '../../../src/api/http/xml.ts';

/** The builder xmlDocument replaced on the hot path, with the same options (the reference). */
const reference = new XMLBuilder(XML_BUILDER_OPTIONS);
const DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const byReference = (root: string, body: XmlNode) => `${DECL}${reference.build({ [root]: body }) as string}`;

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'true', 'false', 'a&b', '<x>', `it's "quoted"`, '&amp;', 'Ünïcødé ✓'),
);
const scalar = fc.oneof(text, fc.integer({ min: -5, max: 1000 }), fc.double({ noNaN: false }), fc.boolean());
const key = fc.constantFrom('A', 'Link', 'Description', 'x:y', '@_href', '@_name', '@_type', '@_', '#text', '?pi');

const node: fc.Arbitrary<XmlNode> = fc.letrec<{ node: XmlNode; value: unknown }>((tie) => ({
  node: fc.dictionary(key, tie('value'), { maxKeys: 5 }) as fc.Arbitrary<XmlNode>,
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.constant(undefined),
    fc.constant(null),
    tie('node'),
    fc.array(fc.oneof(scalar, fc.constant(undefined), fc.constant(null), tie('node')), { maxLength: 4 }),
  ),
})).node;

describe('xmlDocument', () => {
  it('writes exactly what fast-xml-parser\'s builder writes, for any document shape', () => {
    fc.assert(fc.property(fc.constantFrom('OrgList', 'Org', '?xml-stylesheet'), node, (root, body) => {
      let expected: string | Error;
      try {
        expected = byReference(root, body);
      } catch (err) {
        expected = err as Error;
      }
      if (expected instanceof Error) expect(() => xmlDocument(root, body)).toThrow();
      else expect(xmlDocument(root, body)).toBe(expected);
    }), { numRuns: 3000 });
  });

  it('writes an OrgList with escaped attributes, self-closed references and the namespace attributes in order', () => {
    const body: XmlNode = {
      '@_xmlns': 'http://www.vmware.com/vcloud/v1.5',
      '@_href': 'https://h/api/org/',
      Org: [{ '@_href': 'https://h/api/org/1', '@_name': `R&D <"lab">'s` }, { '@_href': 'https://h/api/org/2', '@_name': '' }],
      Description: undefined,
      IsEnabled: 'true',
    };
    expect(xmlDocument('OrgList', body)).toBe(byReference('OrgList', body));
    expect(xmlDocument('OrgList', body)).toBe(`${DECL}<OrgList xmlns="http://www.vmware.com/vcloud/v1.5" href="https://h/api/org/">`
      + '<Org href="https://h/api/org/1" name="R&amp;D &lt;&quot;lab&quot;&gt;&apos;s"/><Org href="https://h/api/org/2" name=""/>'
      + '<IsEnabled>true</IsEnabled></OrgList>');
  });

  it('falls back to the builder for values outside XmlNode (dates, nested arrays) and still writes its output', () => {
    const body = { When: new Date(0), Nested: [['a', 'b']] } as unknown as XmlNode;
    expect(xmlDocument('Root', body)).toBe(byReference('Root', body));
  });
});

describe('escapeXml', () => {
  it('replaces the five XML specials and leaves everything else', () => {
    expect(escapeXml(`a&b<c>d'e"f`)).toBe('a&amp;b&lt;c&gt;d&apos;e&quot;f');
    expect(escapeXml('plain text ✓')).toBe('plain text ✓');
  });
});

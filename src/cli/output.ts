import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** Where commands write: stdout for results, stderr for messages meant for people. */
export interface Output {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function processOutput(json: boolean): Output {
  return {
    json,
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

/** JSON for scripts: two-space indented, one document. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** An aligned table for people; `-` stands for empty cells. */
export function formatTable(headers: string[], rows: Array<Array<string | null | undefined>>): string {
  const cells = rows.map((r) => headers.map((_, i) => {
    const v = r[i];
    return v === null || v === undefined || v === '' ? '-' : v.replace(/[\r\n\t]+/g, ' ');
  }));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
}

/** `key: value` lines with aligned values. */
export function formatFields(fields: Array<[string, string | null | undefined]>): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return `${fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v ?? '-'}`).join('\n')}\n`;
}

const xmlOptions = {
  preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', commentPropName: '#comment',
  // Keep text exactly as sent: no entity expansion on the way in, none on the way out.
  processEntities: false, parseTagValue: false, parseAttributeValue: false, trimValues: true,
} as const;
const xmlParser = new XMLParser(xmlOptions);
const xmlBuilder = new XMLBuilder({ ...xmlOptions, format: true, indentBy: '  ', suppressEmptyNode: true });

/** Indents an XML document; returns it unchanged when it cannot be parsed safely. */
export function prettyXml(text: string): string {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return text;
  try {
    const pretty = (xmlBuilder.build(xmlParser.parse(text)) as string).trim();
    return pretty === '' ? text : pretty;
  } catch {
    return text;
  }
}

/** Pretty-prints a response body by its content type (JSON indented, XML indented). */
export function prettyBody(text: string, contentType: string | null): string {
  const type = contentType ?? '';
  const trimmed = text.trimStart();
  if (type.includes('json') || (!type.includes('xml') && /^[[{]/.test(trimmed))) {
    try {
      return formatJson(JSON.parse(text));
    } catch {
      return text;
    }
  }
  if (type.includes('xml') || trimmed.startsWith('<')) return `${prettyXml(text)}\n`;
  return text;
}

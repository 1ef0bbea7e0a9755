/**
 * FIQL filter helpers (spec §6.2): build `filter=` values without hand-escaping.
 *
 * @example
 *   fiqlAnd(fiqlEquals('name', 'ci,pipeline'), fiqlEquals('owner.name', 'alice'))
 *   // → 'name==ci\,pipeline;owner.name==alice'
 */

/** Backslash-escapes the characters FIQL gives a meaning to inside a value: `\ ( ) ; , *`. */
export function escapeFiqlValue(value: string): string {
  return value.replace(/[\\();,*]/g, (c) => `\\${c}`);
}

/** `selector==value` with the value escaped (a literal match, no wildcard). */
export function fiqlEquals(selector: string, value: string): string {
  return `${selector}==${escapeFiqlValue(value)}`;
}

/** `selector<op>value` for the ordering operators, e.g. `timestamp=gt=2024-05-01T08:00:00.000Z`. */
export function fiqlCompare(selector: string, op: '==' | '!=' | '=lt=' | '=le=' | '=gt=' | '=ge=', value: string | Date): string {
  return `${selector}${op}${escapeFiqlValue(value instanceof Date ? value.toISOString() : value)}`;
}

function join(separator: ';' | ',', parts: ReadonlyArray<string | undefined | null | false>): string | undefined {
  const present = parts.filter((p): p is string => typeof p === 'string' && p !== '');
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  // Parenthesise composite parts so AND/OR precedence can never surprise (spec §6.2).
  return present.map((p) => (/(?<!\\)[;,]/.test(p) ? `(${p})` : p)).join(separator);
}

/** AND of the given conditions; empty ones are skipped; undefined when none is left. */
export function fiqlAnd(...parts: ReadonlyArray<string | undefined | null | false>): string | undefined {
  return join(';', parts);
}

/** OR of the given conditions; empty ones are skipped; undefined when none is left. */
export function fiqlOr(...parts: ReadonlyArray<string | undefined | null | false>): string | undefined {
  return join(',', parts);
}

import type { RequestContext } from '../http/route.ts';

// A comparison starts with optional '(' then `selector operator` (the grammar of src/fiql/parse.ts).
const COMPARISON_START = /^\(*[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*(?:==|!=|=lt=|=le=|=gt=|=ge=)/;
const SELECTOR_AND_OPERATOR = /^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*(?:==|!=|=lt=|=le=|=gt=|=ge=)/;

function startsComparison(s: string, at: number): boolean {
  return COMPARISON_START.test(s.slice(at));
}

/** A ')' closes a group when the run of ')' is followed by the end or by a real separator. */
function closesGroup(s: string, at: number): boolean {
  let j = at;
  while (s[j] === ')') j++;
  return j === s.length || ((s[j] === ',' || s[j] === ';') && startsComparison(s, j + 1));
}

/**
 * The Go SDK looks objects up with `filter=name==<name>` and does not escape the name
 * (`G:govcd/rights.go` getRightByName, `G:govcd/roles.go` GetRoleByName), while VCD's right names
 * contain ',' ("Role: Create, Edit, Delete, or Copy") and may contain ';' or ')'. VCD 10.3+
 * answers such lookups (spec §6.2), so a separator must be read as data when it cannot be one:
 * this escapes every ',' or ';' that is not followed by another comparison, every ')' that
 * closes a '(' opened inside the same value, and every ')' that closes no group. Filters already escaped (CSE escapes with '\') pass through unchanged, and
 * anything it does not understand is returned as is for the FIQL parser to report.
 *
 * TODO(shared FIQL module): this belongs in src/fiql/ next to the parser; it lives here until the
 * owner of that module adopts it, and only the RBAC lists and the token list use it so far.
 */
export function escapeLiteralSeparators(filter: string): string {
  let out = '';
  let i = 0;
  let depth = 0;
  const n = filter.length;
  while (i < n) {
    while (filter[i] === '(') { depth++; out += '('; i++; }
    const head = SELECTOR_AND_OPERATOR.exec(filter.slice(i));
    if (!head) return filter;
    out += head[0];
    i += head[0].length;
    // A '(' inside a value is never a group (groups open before a selector), so it is data; the
    // ')' that pairs with it is data too: "deploy (eu)" in `(name==deploy (eu);owner.name==x)`.
    let valueParens = 0;
    for (; i < n; i++) {
      const ch = filter[i]!;
      if (ch === '\\') {
        if (filter[i + 1] === ')' && valueParens > 0) valueParens--;
        out += filter.slice(i, i + 2);
        i++;
        continue;
      }
      if (ch === ',' || ch === ';') {
        if (startsComparison(filter, i + 1)) break;
        out += `\\${ch}`;
      } else if (ch === '(') {
        valueParens++;
        out += ch;
      } else if (ch === ')') {
        if (valueParens > 0) {
          valueParens--;
          out += '\\)';
          continue;
        }
        if (depth > 0 && closesGroup(filter, i)) break;
        out += '\\)';
      } else {
        out += ch;
      }
    }
    while (filter[i] === ')' && depth > 0) { depth--; out += ')'; i++; }
    if (i < n) { out += filter[i]; i++; }
  }
  return out;
}

/** The request with its `filter` query parameter passed through escapeLiteralSeparators. */
export function withLiteralSeparators<C extends RequestContext>(ctx: C): C {
  const filter = ctx.query.filter;
  if (typeof filter !== 'string' || filter === '') return ctx;
  return { ...ctx, query: { ...ctx.query, filter: escapeLiteralSeparators(filter) } };
}

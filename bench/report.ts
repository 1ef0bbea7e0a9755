/** One line of the results table. */
export interface Row {
  measure: string;
  value: string;
  ratio: string;
  target: string;
  met: string;
}

/** A Markdown table (readable on stdout, pastable into docs/performance.md). */
export function renderTable(rows: readonly Row[]): string {
  const head: Row = { measure: 'Measure', value: 'Value', ratio: 'Ratio / comparison', target: 'Target', met: 'Met' };
  const keys = ['measure', 'value', 'ratio', 'target', 'met'] as const;
  const width = (k: (typeof keys)[number]) => Math.max(...[head, ...rows].map((r) => [...r[k]].length));
  const line = (r: Row) => `| ${keys.map((k) => r[k] + ' '.repeat(width(k) - [...r[k]].length)).join(' | ')} |`;
  const sep = `|${keys.map((k) => '-'.repeat(width(k) + 2)).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n');
}

/**
 * What a person at a terminal reads instead of pino's JSON lines: `12:04:05 INFO  message
 * key=value …`. Only for a terminal: piped or redirected output (a service manager, a log
 * shipper, tests) keeps one JSON object per line. A few lines instead of a dependency
 * (pino-pretty): the server logs little besides start, stop and faults.
 */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LEVEL_COLOURS: Readonly<Record<number, string>> = { 40: '\u001b[33m', 50: '\u001b[31m', 60: '\u001b[31m' };
const RESET = '\u001b[0m';
/** Fields every line has, shown in their own places (or not at all). */
const FRAME_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** One JSON log line as one human line (an error's stack on the lines after it). Not JSON: as is. */
export function formatLogLine(line: string, opts: { colour: boolean }): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof entry['level'] === 'number' ? entry['level'] : 30;
  const at = new Date(typeof entry['time'] === 'number' ? entry['time'] : Date.now());
  const time = `${twoDigits(at.getHours())}:${twoDigits(at.getMinutes())}:${twoDigits(at.getSeconds())}`;
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const colour = opts.colour ? LEVEL_COLOURS[level] : undefined;
  const label = colour ? `${colour}${name}${RESET}` : name;
  let stack = '';
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (FRAME_FIELDS.has(key)) continue;
    const err = value as { message?: unknown; stack?: unknown } | null;
    if (key === 'err' && err && typeof err.stack === 'string') {
      stack = `\n    ${err.stack.split('\n').join('\n    ')}`;
      continue;
    }
    fields.push(`${key}=${formatValue(value)}`);
  }
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  return `${time} ${label} ${msg}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/** A pino destination writing formatted lines to `out` (a terminal). */
export function terminalLogStream(out: NodeJS.WritableStream, opts: { colour: boolean }): { write(line: string): void } {
  return { write: (line: string) => { out.write(formatLogLine(line, opts)); } };
}

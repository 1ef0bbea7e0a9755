import fs from 'node:fs';
import type { Command } from 'commander';
import { run, type ConnectionFlags } from './cli-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { prettyBody } from './output.ts';
import { withProgress } from './progress.ts';

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

interface ApiFlags extends ConnectionFlags {
  data?: string;
  header: string[];
  accept?: string;
  contentType?: string;
  raw?: boolean;
  include?: boolean;
}

/** `--data @file` reads a file, `--data -` reads stdin, anything else is the body itself (curl's rules). */
async function readData(data: string): Promise<string> {
  if (data === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return Buffer.concat(chunks).toString('utf8');
  }
  if (data.startsWith('@')) {
    try {
      return fs.readFileSync(data.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(`Cannot read ${data.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
    }
  }
  return data;
}

/** Guesses the Content-Type from the body: JSON, XML, or a form for the OAuth endpoints. */
function guessContentType(body: string, path: string): string {
  const t = body.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'application/json';
  if (t.startsWith('<')) return 'application/*+xml';
  if (path.startsWith('/oauth/') && t.includes('=')) return 'application/x-www-form-urlencoded';
  return 'text/plain';
}

function parseHeaders(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new CliError(`Bad --header "${line}": use "Name: value"`, EXIT.usage);
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** `api METHOD PATH`: a curl with authentication handled and the answer pretty-printed. */
export function registerApiCommand(program: Command): void {
  program.command('api <method> <path>')
    .description('Call any API path with authentication handled; prints the JSON or XML answer indented')
    .option('--url <url>', 'server URL (else OPENDIRECTOR_URL, else the profile)')
    .option('--org <org>', 'organization (else OPENDIRECTOR_ORG, else the profile)')
    .option('--token-file <file>', 'API token file (else OPENDIRECTOR_API_TOKEN, OPENDIRECTOR_ACCESS_TOKEN, the profile)')
    .option('-d, --data <body>', 'request body; @FILE reads a file, - reads stdin')
    .option('-H, --header <line>', 'extra header "Name: value" (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--accept <type>', 'Accept header (default: JSON for /cloudapi and /oauth, application/*+xml for /api)')
    .option('--content-type <type>', 'Content-Type of --data (default: guessed from the body)')
    .option('--raw', 'print the body exactly as received')
    .option('-i, --include', 'print the status line and response headers on stderr')
    .addHelpText('after', `
Examples:
  opendirector api GET /api/org
  opendirector api GET '/cloudapi/1.0.0/auditTrail?pageSize=5&sortDesc=timestamp'
  opendirector api POST /cloudapi/1.0.0/users --data @alice.json`)
    .action(run(async (ctx, methodArg: string, path: string, flags: ApiFlags) => {
      const method = methodArg.toUpperCase();
      if (!METHODS.has(method)) throw new CliError(`Unknown method ${methodArg}: use one of ${[...METHODS].join(', ')}`, EXIT.usage);
      if (!path.startsWith('/') && !/^https?:\/\//i.test(path)) throw new CliError(`The path must start with / (got ${path})`, EXIT.usage);
      const headers = parseHeaders(flags.header);
      const body = flags.data !== undefined ? await readData(flags.data) : undefined;
      if (body !== undefined) headers['content-type'] ??= flags.contentType ?? guessContentType(body, path);
      const { client } = await ctx.client(flags);
      const res = await withProgress(`${method} ${path}`, () =>
        client.request(method, path, { headers, ...(body !== undefined ? { body } : {}), ...(flags.accept ? { accept: flags.accept } : {}) }));
      if (flags.include) {
        ctx.output.err(`HTTP ${res.status} ${res.statusText}`);
        res.headers.forEach((value, name) => ctx.output.err(`${name}: ${value}`));
      }
      if (res.text === '') return;
      process.stdout.write(flags.raw ? res.text : prettyBody(res.text, res.headers.get('content-type')));
    }));
}

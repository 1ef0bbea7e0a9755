import { createInterface } from 'node:readline';
import { CliError, EXIT } from './exit-codes.ts';

/** True when we can ask a person (stdin is a terminal). */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * Lines of stdin for `--password-stdin`: line 1 is the password, line 2 (if the server asks for
 * a second factor) the TOTP code. Stdin is read to its end once, on first use.
 */
export class StdinLines {
  private lines: string[] | null = null;

  async next(): Promise<string | undefined> {
    if (this.lines === null) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      this.lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    }
    const line = this.lines.shift();
    return line === undefined || (line === '' && this.lines.every((l) => l === '')) ? undefined : line;
  }
}

/** Where promptLine reads and writes, and how it leaves on Ctrl-C (tests pass their own). */
export interface PromptIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  exit: (code: number) => void;
}

const processIo = (): PromptIo => ({ input: process.stdin, output: process.stderr, exit: (code) => process.exit(code) });

/**
 * Asks on stderr and reads one line from the terminal, echoed (a TOTP code is not a long-lived
 * secret). Ctrl-C aborts with exit 130, as promptSecret does; Ctrl-D answers '' (nothing typed).
 * Without both handlers readline just pauses stdin, the answer never comes and node leaves with
 * exit 13 ("unsettled top-level await") and no message.
 */
export async function promptLine(question: string, io: PromptIo = processIo()): Promise<string> {
  if (io.input.isTTY !== true) throw new CliError(`Cannot ask "${question.trim()}": stdin is not a terminal`, EXIT.usage);
  const rl = createInterface({ input: io.input, output: io.output, terminal: true });
  try {
    return await new Promise<string>((resolve) => {
      let answered = false;
      rl.on('SIGINT', () => {
        answered = true;
        io.output.write('\n');
        rl.close();
        io.exit(130);
      });
      rl.on('close', () => {
        if (answered) return;
        io.output.write('\n');
        resolve('');
      });
      rl.question(question, (answer) => {
        answered = true;
        resolve(answer);
      });
    });
  } finally {
    rl.close();
  }
}

/** Asks on stderr and reads a secret from the terminal without echoing it. Ctrl-C aborts (exit 130). */
export function promptSecret(question: string): Promise<string> {
  if (!canPrompt()) {
    return Promise.reject(new CliError('No terminal to read the password from: pipe it in with --password-stdin', EXIT.usage));
  }
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise<string>((resolve) => {
    let value = '';
    const finish = (result: string | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (result === null) process.exit(130);
      resolve(result);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(value);
        if (ch === '\u0003') return finish(null);
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
      return undefined;
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', onData);
  });
}

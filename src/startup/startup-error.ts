/**
 * A start-up failure the operator can fix: `message` is the one line `opendirector serve` prints
 * (what is wrong and what to do), never a stack trace and never a secret. Anything else that
 * fails during start-up is a bug and is reported as such (src/cli/serve-command.ts).
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

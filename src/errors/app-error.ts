import { errorCatalog, type ErrorCode } from './catalog.ts';

/**
 * The one error type services throw. `message` is safe to show a client; `detail` and `cause`
 * only ever reach the logs.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    options: { message?: string; detail?: string; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(options.message ?? errorCatalog[code].message, { cause: options.cause });
    this.code = code;
    this.status = errorCatalog[code].status;
    this.detail = options.detail;
    this.headers = options.headers;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

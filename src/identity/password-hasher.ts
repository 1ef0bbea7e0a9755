import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import { AppError } from '../errors/app-error.ts';
import { durableTransaction } from '../storage/wal-sync.ts';
import type { Config } from '../config/index.ts';
import { hashPassword, needsRehash, OWASP_ARGON2ID, verifyPassword, type PasswordHashPolicy } from './password.ts';

export interface PasswordHasherOptions {
  policy: PasswordHashPolicy;
  /** Hashes computed at once; 0 = one per core but one (at least one), see defaultHashConcurrency. */
  concurrency: number;
  /** Hashes allowed to wait for a free slot; one more is refused with 503 + Retry-After. */
  queueLimit: number;
}

/**
 * The server's password hashing (issue 18): argon2id at the configured policy, with at most
 * `concurrency` hashes running (default: cores − 1) and at most `queueLimit` waiting. A hash runs on the libuv
 * threadpool and keeps a core busy for its whole duration: without a bound, a login storm takes
 * every core (and every threadpool thread, which the SQLite group commit's fsync also needs) from
 * token grants and bearer calls. More hashes in flight than cores gives no more logins per
 * second, only more memory and longer queues. A login finding the queue full is answered
 * 503 PASSWORD_HASHING_BUSY with Retry-After at once rather than waiting for seconds.
 */
export class PasswordHasher {
  readonly policy: PasswordHashPolicy;
  readonly concurrency: number;
  readonly queueLimit: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private decoy: Promise<string> | undefined;

  constructor(opts: PasswordHasherOptions) {
    this.policy = opts.policy;
    this.concurrency = opts.concurrency > 0 ? opts.concurrency : defaultHashConcurrency();
    this.queueLimit = opts.queueLimit;
  }

  /** Hashes running and waiting now (tests, diagnostics). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** A new hash of `password` at the policy. */
  hash(password: string): Promise<string> {
    return this.gated(() => hashPassword(password, this.policy));
  }

  /**
   * Checks `password` against the stored hash, or — for an unknown user (`encoded` undefined) —
   * against a decoy hash made at the same policy, so both paths spend the same time (STYLE §5).
   */
  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    const target = encoded ?? (await this.decoyHash());
    const ok = await this.gated(() => verifyPassword(password, target));
    return encoded !== undefined && ok;
  }

  /**
   * After a successful check: replaces a stored hash made by scrypt or at other parameters with
   * one at the policy. Only the row still holding the hash that was checked is changed (a
   * password change in between wins). Best effort: a failure (or a full queue) leaves the old
   * hash, which keeps verifying and is upgraded at a later login. True when the row changed.
   */
  async upgrade(db: Kysely<Database>, user: { id: string; org_id: string; password_hash: string }, password: string): Promise<boolean> {
    if (!needsRehash(user.password_hash, this.policy)) return false;
    try {
      const fresh = await this.hash(password);
      const r = await durableTransaction(db, (trx) => trx.updateTable('users').set({ password_hash: fresh })
        .where('id', '=', user.id).where('org_id', '=', user.org_id).where('password_hash', '=', user.password_hash).executeTakeFirst());
      return Number(r.numUpdatedRows) === 1;
    } catch {
      return false;
    }
  }

  /** Makes the decoy hash ahead of the first unknown-user login (server start), so that login is not slower. */
  prepareDecoy(): Promise<void> {
    return this.decoyHash().then(() => undefined, () => undefined);
  }

  /** A hash no password matches, made once per hasher (argon2id at the policy). */
  decoyHash(): Promise<string> {
    this.decoy ??= this.gated(() => hashPassword(randomBytes(24).toString('base64'), this.policy)).catch((err: unknown) => {
      this.decoy = undefined;
      throw err;
    });
    return this.decoy;
  }

  /** Runs `work` in a hashing slot (waiting for one, or refused when the queue is full). */
  async gated<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running++;
    else if (this.waiting.length >= this.queueLimit) throw new AppError('PASSWORD_HASHING_BUSY', { headers: { 'Retry-After': '1' } });
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (the count stays), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * One hash per core but one, at least one: a hash keeps its thread on a core for its whole
 * duration, and the event loop (grants, bearer calls, the logins' own work) needs a core too.
 * Measured on 2 cores (`bench/in-process-storm.ts`, three alternating rounds): during a login
 * storm grants kept 35–60 % of their rate with one slot and 16–21 % with two, while logins ran
 * at 36–50/s against 45–50/s.
 */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The policy the configuration asks for (the deprecated scrypt cost can only lower the memory, for tests). */
export function passwordHashPolicyOf(config: Pick<Config, 'passwordHashMemoryKib' | 'passwordHashIterations' | 'passwordHashCost'>): PasswordHashPolicy {
  const legacy = config.passwordHashCost === undefined ? undefined : Math.min(2 ** config.passwordHashCost, OWASP_ARGON2ID.memoryKib);
  return { memoryKib: config.passwordHashMemoryKib ?? legacy ?? OWASP_ARGON2ID.memoryKib, iterations: config.passwordHashIterations };
}

export function passwordHasherOf(config: Config): PasswordHasher {
  return new PasswordHasher({ policy: passwordHashPolicyOf(config), concurrency: config.passwordHashConcurrency, queueLimit: config.passwordHashQueue });
}

import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';

/**
 * scrypt runs on the libuv threadpool (4 threads by default) and each N=2^17 computation holds
 * 128 MiB. More computations in flight than cores gives no more logins per second, only more
 * memory (4 × 128 MiB) and a threadpool with no thread left for file I/O — including the fsync
 * the token endpoint's group commit waits on (issue 7). So at most one per core runs; the rest
 * wait in order.
 */
const MAX_CONCURRENT_SCRYPT = Math.max(1, availableParallelism());
let scryptRunning = 0;
const scryptWaiting: (() => void)[] = [];

async function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  if (scryptRunning >= MAX_CONCURRENT_SCRYPT) await new Promise<void>((resolve) => scryptWaiting.push(resolve));
  else scryptRunning++;
  try {
    return await new Promise((resolve, reject) => {
      scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
    });
  } finally {
    // Hand the slot straight to the next waiter (the count stays), or free it.
    const next = scryptWaiting.shift();
    if (next) next();
    else scryptRunning--;
  }
}

const KEY_LENGTH = 32;

/**
 * Hashes a password with scrypt (memory-hard). The encoded form carries its own parameters,
 * `scrypt$<log2N>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised without a migration.
 * OWASP password storage cheat sheet: N=2^17, r=8, p=1.
 */
export async function hashPassword(password: string, log2N: number): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** log2N;
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 });
  return `scrypt$${log2N}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of a password against an encoded hash; false for any malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, log2N, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const N = 2 ** Number(log2N);
  const expected = Buffer.from(hashB64, 'base64');
  const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) + 1024 * 1024,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash that no password matches: used to spend the same time on unknown users (STYLE §5). */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(log2N: number): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(24).toString('base64'), log2N);
  return decoyHash;
}

/** Password rules for new and changed passwords. */
export function passwordProblem(password: string): string | null {
  if (password.length < 8) return 'The password must be at least 8 characters long.';
  if (password.length > 1024) return 'The password must be at most 1024 characters long.';
  return null;
}

import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, parseOptions as argon2Options, verify as argon2Verify } from '@node-rs/argon2';

/**
 * Password hashing (issue 18). New hashes are argon2id in the PHC string form,
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, through `@node-rs/argon2` (a
 * prebuilt native binding; 8 ms per hash at OWASP's first recommendation on the bench machine,
 * where scrypt N=2^17 took 321 ms and 128 MiB). Hashes of earlier releases,
 * `scrypt$<log2N>$<r>$<p>$<salt b64>$<hash b64>`, keep verifying; `needsRehash` tells the login
 * to replace them (and any argon2id hash made at other parameters) after a successful check.
 * Both forms carry their own algorithm and cost, so the policy changes without a migration.
 */
export interface PasswordHashPolicy {
  /** argon2id memory, KiB (OWASP: 19456 = 19 MiB). */
  readonly memoryKib: number;
  /** argon2id passes (OWASP: 2 at 19 MiB). */
  readonly iterations: number;
}

/** OWASP password storage cheat sheet, argon2id's first recommendation: m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2ID: PasswordHashPolicy = { memoryKib: 19_456, iterations: 2 };

/** `@node-rs/argon2`'s Algorithm.Argon2id (a `const enum`, which isolated transpilers cannot inline). */
const ARGON2ID = 2;
const PARALLELISM = 1;

/** A new argon2id hash of `password` at `policy` (16-byte random salt, 32-byte output). */
export function hashPassword(password: string, policy: PasswordHashPolicy): Promise<string> {
  return argon2Hash(password, { algorithm: ARGON2ID, memoryCost: policy.memoryKib, timeCost: policy.iterations, parallelism: PARALLELISM, outputLen: 32 });
}

/** Constant-time check of a password against an encoded hash (argon2id or legacy scrypt); false for any malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (encoded.startsWith('scrypt$')) return verifyScrypt(password, encoded);
  if (!encoded.startsWith('$argon2id$')) return false;
  try {
    return await argon2Verify(encoded, password);
  } catch {
    return false;
  }
}

/** Whether a stored hash should be replaced by one at `policy` (scrypt, another algorithm, other parameters). */
export function needsRehash(encoded: string, policy: PasswordHashPolicy): boolean {
  if (!encoded.startsWith('$argon2id$')) return true;
  try {
    const o = argon2Options(encoded);
    return o.memoryCost !== policy.memoryKib || o.timeCost !== policy.iterations || o.parallelism !== PARALLELISM;
  } catch {
    return true;
  }
}

/** The algorithm named by an encoded hash, for tests and diagnostics (never the hash itself). */
export function hashAlgorithm(encoded: string): 'argon2id' | 'scrypt' | 'unknown' {
  if (encoded.startsWith('$argon2id$')) return 'argon2id';
  if (encoded.startsWith('scrypt$')) return 'scrypt';
  return 'unknown';
}

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes of releases before issue 18: scrypt, r and p as stored. Only verified, never made any more. */
async function verifyScrypt(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6) return false;
  const [, log2N, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const [nLog, nr, np] = [Number(log2N), Number(r), Number(p)];
  // Bounds of anything this product ever wrote; a corrupted row cannot ask for gigabytes.
  if (![nLog, nr, np].every(Number.isInteger) || nLog < 1 || nLog > 20 || nr < 1 || nr > 32 || np < 1 || np > 16) return false;
  const N = 2 ** nLog;
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length < 16) return false;
  try {
    const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N, r: nr, p: np, maxmem: 256 * N * nr + 1024 * 1024 });
    return key.length === expected.length && timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/**
 * A legacy scrypt hash, as releases before issue 18 wrote them. For tests and the bench only
 * (rows written by an older release); the product never creates one.
 */
export async function legacyScryptHash(password: string, log2N: number): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** log2N;
  const key = await scrypt(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 + 1024 * 1024 });
  return `scrypt$${log2N}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Password rules for new and changed passwords. */
export function passwordProblem(password: string): string | null {
  if (password.length < 8) return 'The password must be at least 8 characters long.';
  if (password.length > 1024) return 'The password must be at most 1024 characters long.';
  return null;
}

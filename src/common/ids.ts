import { createHash, randomUUID } from 'node:crypto';

/** URN types used on the wire (spec §1.2). */
export type UrnType =
  | 'org' | 'user' | 'group' | 'role' | 'globalRole' | 'rightsBundle' | 'right' | 'rightsCategory'
  | 'token' | 'session' | 'audit' | 'site' | 'task' | 'vdc' | 'vapp' | 'vm' | 'serviceAccount';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh lower-case UUID (the Go SDK rejects upper-case hex, spec §1.2). */
export function newId(): string {
  return randomUUID();
}

/**
 * A fresh UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. For rows
 * written at a high rate (sessions minted by API-token exchanges, audit events, issue 7): ids in
 * time order make the primary-key index grow at its right edge, so a commit rewrites a few index
 * pages instead of one random page per row. Lower-case hex like newId(); not for secrets.
 */
export function newTimeOrderedId(nowMs = Date.now()): string {
  // randomUUID() draws from a cached entropy pool (randomBytes per call is slower): keep its
  // random bits and variant, put the time in front and the version 7 nibble in place of the 4.
  const r = randomUUID();
  const t = nowMs.toString(16).padStart(12, '0').slice(-12);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(15)}`;
}

/** When a newTimeOrderedId was made (its 48-bit millisecond prefix), or null for any other UUID. */
export function timeOfTimeOrderedId(id: string): Date | null {
  if (!isUuid(id) || id[14] !== '7') return null;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function toUrn(type: UrnType, uuid: string): string {
  return `urn:vcloud:${type}:${uuid}`;
}

/** The UUID of `urn:vcloud:<type>:<uuid>` (or a bare UUID), or null when it is neither. */
export function uuidFromUrn(value: string, type: UrnType): string | null {
  if (isUuid(value)) return value;
  const parts = value.split(':');
  if (parts.length !== 4 || parts[0] !== 'urn' || parts[1] !== 'vcloud' || parts[2] !== type) return null;
  const uuid = parts[3] ?? '';
  return isUuid(uuid) ? uuid : null;
}

/** Name-based UUID (RFC 4122 v5) so rights and predefined roles keep stable ids (spec §1.2). */
export function uuidV5(name: string, namespace = '6ba7b811-9dad-11d1-80b4-00c04fd430c8'): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `urn:vcloud:<type>:<uuid>` from a URN or a bare UUID (spec §1.2). */
export function toUrn(type: string, idOrUrn: string): string {
  return idOrUrn.startsWith('urn:') ? idOrUrn : `urn:vcloud:${type}:${idOrUrn}`;
}

/** The UUID at the end of a URN, an href or a `vm-<uuid>` id; the input itself otherwise. */
export function bareUuid(value: string): string {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i.exec(value);
  return m?.[1]?.toLowerCase() ?? value;
}

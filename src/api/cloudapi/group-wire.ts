import { toUrn } from '../../common/ids.ts';

/**
 * CloudAPI group (spec §7.6; VCD's JSON group carries `usersList` [{name,id}]). Local groups
 * only: `providerType` LOCAL, `nameInSource` = name.
 */
export function groupWire(
  g: { id: string; name: string; description: string; provider_type: string },
  roles: readonly { id: string; name: string }[],
  members: readonly { id: string; name: string }[],
  org: { id: string; name: string },
) {
  return {
    id: toUrn('group', g.id),
    name: g.name,
    description: g.description,
    orgEntityRef: { name: org.name, id: toUrn('org', org.id) },
    roleEntityRefs: roles.map((r) => ({ name: r.name, id: toUrn('role', r.id) })),
    usersList: members.map((m) => ({ name: m.name, id: toUrn('user', m.id) })),
    providerType: g.provider_type,
    nameInSource: g.name,
  };
}

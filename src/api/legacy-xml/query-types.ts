import type { QueryType } from './query-type.ts';
import { INVENTORY_QUERY_TYPES } from './query-types-inventory.ts';
import { DIRECTORY_QUERY_TYPES } from './query-types-directory.ts';

/**
 * Every query type the query service answers (spec §9.3), in QueryList order.
 *
 * Who may run what:
 * - tenant types (`vm`, `vApp`, `orgVdc`, `organization`, `user`) need their view right
 *   (vApp: View, Organization vDC: View, Organization: View, Group / User: View) and return the
 *   caller's org; a provider outside any tenant context gets every org (spec §9.1's rule).
 * - `admin*` types are for System-org sessions only [U]: the Go SDK switches to them exactly when
 *   `client.IsSysAdmin` (G:govcd/vdc.go, G:govcd/adminorg.go) and tenant clients use the plain
 *   types, so refusing tenants costs no real client and keeps "admin" meaning provider. They need
 *   the same view right as their tenant form.
 */
export const QUERY_TYPES: readonly QueryType[] = [...INVENTORY_QUERY_TYPES, ...DIRECTORY_QUERY_TYPES];

const BY_NAME = new Map(QUERY_TYPES.map((t) => [t.name, t]));

/** The query type of a `type` parameter (case-sensitive, D31), or undefined. */
export function findQueryType(name: string): QueryType | undefined {
  return BY_NAME.get(name);
}

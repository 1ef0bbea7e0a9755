import type { Kysely } from 'kysely';
import type { Database } from '../storage/database.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';

/**
 * The issuer identifier (RFC 8414 §2) of an org's OAuth endpoints: `<base>/oauth/provider` for
 * the System org, `<base>/oauth/tenant/<org name>` for a tenant, with the name as stored
 * (percent-encoded). One org has one issuer, whatever spelling reached it.
 */
export function issuerUrl(baseUrl: string, org: { name: string }, systemOrgName: string): string {
  return org.name === systemOrgName ? `${baseUrl}/oauth/provider` : `${baseUrl}/oauth/tenant/${encodeURIComponent(org.name)}`;
}

/**
 * The org an OAuth path names (spec §4.1: a tenant by name, case-insensitively, or by UUID), or
 * undefined. A tenant path never names the System org: it has the provider path.
 */
export async function findOAuthOrg(db: Kysely<Database>, ref: OAuthOrgRef, systemOrgName: string): Promise<{ id: string; name: string } | undefined> {
  const name = ref.kind === 'provider' ? systemOrgName : ref.nameOrId;
  const org = await db.selectFrom('orgs').select(['id', 'name'])
    .where((eb) => eb.or([eb('name_lower', '=', name.toLowerCase()), eb('id', '=', name)]))
    .executeTakeFirst();
  if (!org || (ref.kind === 'tenant' && org.name === systemOrgName)) return undefined;
  return org;
}

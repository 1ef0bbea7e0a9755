import type { EntityRef, EntityRefList, Org, OrgCreate, PagedEnvelope, RightsBundle, Role, User, UserWrite } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';
import { toUrn } from './ids.ts';

const BASE = '/cloudapi/1.0.0';

/** List, iterate and get-by-id over one CloudAPI collection (spec §6.1, §5.3). */
class Collection<T> {
  constructor(
    protected readonly client: OpenDirectorClient,
    protected readonly path: string,
    protected readonly urnType: string,
  ) {}

  /** One page; `filter`, `sortAsc`/`sortDesc`, `page`, `pageSize` as the server accepts them. */
  list(q: ListQuery = {}): Promise<Page<T>> {
    return fetchPage<T>(this.client, this.path, q);
  }

  /** Every item across all pages (follows `Link: …;rel="nextPage"`). */
  iterateAll(q: ListQuery = {}): AsyncGenerator<T> {
    return iterateItems<T>(this.client, this.path, q);
  }

  /** One item by URN or UUID; missing or invisible → 403 OpenDirectorError (spec §5.3). */
  get(id: string): Promise<T> {
    return this.client.getJson<T>(this.itemPath(id));
  }

  protected itemPath(id: string): string {
    return `${this.path}/${toUrn(this.urnType, id)}`;
  }
}

/** Organizations (`/cloudapi/1.0.0/orgs`, spec §7.6); creating one is provider-only. */
export class OrgsApi extends Collection<Org> {
  constructor(client: OpenDirectorClient) {
    super(client, `${BASE}/orgs`, 'org');
  }

  create(org: OrgCreate): Promise<Org> {
    return this.client.postJson<Org>(this.path, org);
  }
}

/** Users of the caller's org, or of the tenant-context org (`/cloudapi/1.0.0/users`, spec §7.6). */
export class UsersApi extends Collection<User> {
  constructor(client: OpenDirectorClient) {
    super(client, `${BASE}/users`, 'user');
  }

  create(user: UserWrite): Promise<User> {
    return this.client.postJson<User>(this.path, user);
  }

  /** Replaces a user (CloudAPI PUT semantics: send the whole object). */
  update(id: string, user: UserWrite): Promise<User> {
    return this.client.putJson<User>(this.itemPath(id), { ...user, id: toUrn('user', id) });
  }

  delete(id: string): Promise<void> {
    return this.client.delete(this.itemPath(id));
  }
}

/** Roles of the caller's org (`/cloudapi/1.0.0/roles`, spec §7.3). */
export class RolesApi extends Collection<Role> {
  constructor(client: OpenDirectorClient) {
    super(client, `${BASE}/roles`, 'role');
  }
}

/** Rights bundles and their publication (`/cloudapi/1.0.0/rightsBundles`, spec §7.4; provider-only). */
export class RightsBundlesApi extends Collection<RightsBundle> {
  constructor(client: OpenDirectorClient) {
    super(client, `${BASE}/rightsBundles`, 'rightsBundle');
  }

  /** Publishes the bundle to more orgs (`POST …/tenants/publish`); resolves to the orgs it is now published to. */
  publish(id: string, orgs: EntityRefList['values']): Promise<PagedEnvelope<EntityRef>> {
    return this.client.postJson(`${this.itemPath(id)}/tenants/publish`, { values: orgs } satisfies EntityRefList);
  }

  /** Withdraws the bundle from some orgs (`POST …/tenants/unpublish`). */
  unpublish(id: string, orgs: EntityRefList['values']): Promise<PagedEnvelope<EntityRef>> {
    return this.client.postJson(`${this.itemPath(id)}/tenants/unpublish`, { values: orgs } satisfies EntityRefList);
  }

  /** Publishes to every current and future org (`POST …/tenants/publishAll`). */
  publishAll(id: string): Promise<PagedEnvelope<EntityRef>> {
    return this.client.postJson(`${this.itemPath(id)}/tenants/publishAll`, {});
  }

  /** Undoes publishAll (`POST …/tenants/unpublishAll`). */
  unpublishAll(id: string): Promise<PagedEnvelope<EntityRef>> {
    return this.client.postJson(`${this.itemPath(id)}/tenants/unpublishAll`, {});
  }

  /** Orgs the bundle is published to (`GET …/tenants`). */
  tenants(id: string, q: ListQuery = {}): Promise<Page<EntityRef>> {
    return fetchPage<EntityRef>(this.client, `${this.itemPath(id)}/tenants`, q);
  }
}

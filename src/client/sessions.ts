import type { ListedSession, Session } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';
import { toUrn } from './ids.ts';
import { fetchPage, iterateItems, type ListQuery, type Page } from './paging.ts';

const SESSIONS = '/cloudapi/1.0.0/sessions';

/** The caller's own session (spec §3.4, §3.5). */
export class SessionsApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /** `GET /cloudapi/1.0.0/sessions/current`: who the caller is, in which org, with which roles. */
  current(): Promise<Session> {
    return this.client.getJson<Session>('/cloudapi/1.0.0/sessions/current');
  }

  /**
   * One page of the caller's live sessions: the interactive ones and, for a client made from an
   * API token, its own session first (the user's other token sessions have no record to list).
   */
  list(q: ListQuery = {}): Promise<Page<ListedSession>> {
    return fetchPage<ListedSession>(this.client, SESSIONS, q);
  }

  /** Every live session of the caller, across all pages. */
  iterateAll(q: ListQuery = {}): AsyncGenerator<ListedSession> {
    return iterateItems<ListedSession>(this.client, SESSIONS, q);
  }

  /** One of the caller's sessions by URN or UUID; anything else is a 403 OpenDirectorError. */
  get(id: string): Promise<ListedSession> {
    return this.client.getJson<ListedSession>(`${SESSIONS}/${toUrn('session', id)}`);
  }

  /** Ends one of the caller's sessions by URN or UUID (e.g. a forgotten browser login). */
  end(id: string): Promise<void> {
    return this.client.delete(`${SESSIONS}/${toUrn('session', id)}`);
  }

  /** Ends the caller's session. For a client made from an API token only that access token ends. */
  logout(): Promise<void> {
    return this.client.delete('/cloudapi/1.0.0/sessions/current');
  }
}

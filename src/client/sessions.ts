import type { Session } from '../api/cloudapi/wire.ts';
import type { OpenDirectorClient } from './client.ts';

/** The caller's own session (spec §3.4, §3.5). */
export class SessionsApi {
  constructor(private readonly client: OpenDirectorClient) {}

  /** `GET /cloudapi/1.0.0/sessions/current`: who the caller is, in which org, with which roles. */
  current(): Promise<Session> {
    return this.client.getJson<Session>('/cloudapi/1.0.0/sessions/current');
  }

  /** Ends the caller's session. For a client made from an API token only that access token ends. */
  logout(): Promise<void> {
    return this.client.delete('/cloudapi/1.0.0/sessions/current');
  }
}

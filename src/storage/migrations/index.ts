import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../dialects/capabilities.ts';
import * as initial from './2026-11-23-0001-initial.ts';
import * as rateLimitCounters from './2026-11-23-0601-rate-limit-counters.ts';
import * as statelessTokenSessions from './2026-11-23-1201-stateless-token-sessions.ts';
import * as apiTokenLiveNameUnique from './2026-11-23-1301-api-token-live-name-unique.ts';
import * as groupNameCaseInsensitive from './2026-11-23-1401-group-name-case-insensitive.ts';
import * as inventoryNameUnique from './2026-11-23-1501-inventory-name-unique.ts';
import * as apiTokenSecretHashUnique from './2026-11-23-1601-api-token-secret-hash-unique.ts';
import * as serviceAccounts from './2026-12-02-1200-service-accounts.ts';
import * as lockoutPolicyAndAttemptsInFlight from './2026-12-02-1210-lockout-policy-and-attempts-in-flight.ts';
import * as apiTokenGovernance from './2026-12-02-1210-api-token-governance.ts';

export interface Migration {
  readonly name: string;
  up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void>;
}

/** Every migration in order. Adding one is one file plus one line here. */
export const migrations: readonly Migration[] = [
  { name: '2026-11-23-0001-initial', up: initial.up },
  { name: '2026-11-23-0601-rate-limit-counters', up: rateLimitCounters.up },
  { name: '2026-11-23-1201-stateless-token-sessions', up: statelessTokenSessions.up },
  { name: '2026-11-23-1301-api-token-live-name-unique', up: apiTokenLiveNameUnique.up },
  { name: '2026-11-23-1401-group-name-case-insensitive', up: groupNameCaseInsensitive.up },
  { name: '2026-11-23-1501-inventory-name-unique', up: inventoryNameUnique.up },
  { name: '2026-11-23-1601-api-token-secret-hash-unique', up: apiTokenSecretHashUnique.up },
  { name: '2026-12-02-1200-service-accounts', up: serviceAccounts.up },
  { name: '2026-12-02-1210-lockout-policy-and-attempts-in-flight', up: lockoutPolicyAndAttemptsInFlight.up },
  { name: '2026-12-02-1210-api-token-governance', up: apiTokenGovernance.up },
];

import type { Counter } from 'prom-client';
import { auditEvents, lockOuts } from './metrics-registry.ts';

type Child = ReturnType<Counter<'event' | 'status'>['labels']>;
const success = new Map<string, Child>();
const failure = new Map<string, Child>();

/**
 * Counts one audit event as it is written (both the transactional writer and the group-commit
 * writer build their rows with auditEventRow). Event keys are a closed catalogue. An event whose
 * transaction later rolls back is still counted: the counter says what was attempted.
 */
export function recordAuditEvent(event: string, status: 'SUCCESS' | 'FAILURE'): void {
  const children = status === 'SUCCESS' ? success : failure;
  let child = children.get(event);
  if (!child) {
    child = auditEvents.labels({ event, status });
    children.set(event, child);
  }
  child.inc();
  if (event === 'user.locked') lockOuts.inc();
}

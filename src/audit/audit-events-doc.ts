import { AUDIT_EVENTS } from './events.ts';

/** Renders docs/audit-events.md from the event catalogue (checked by a test). */
export function renderAuditEventsDoc(): string {
  const rows = Object.entries(AUDIT_EVENTS).map(([key, type]) => `| \`${key}\` | \`${type}\` |`);
  return [
    '# Audit events',
    '',
    'Generated from `src/audit/events.ts` by `npm run docs`; a test fails when this file is stale.',
    'Every state change and every login (success and failure) is written in the same transaction as',
    'the change. Events caused in a session minted from an API token carry',
    '`additionalProperties["currentContext.refreshTokenId"]` = the token UUID (seed 001); filter with',
    '`GET /cloudapi/1.0.0/auditTrail/?filter=tokenId==<uuid>`. No event ever contains a secret.',
    '',
    '| key | eventType on the wire |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

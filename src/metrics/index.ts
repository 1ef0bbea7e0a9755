export { metricsRegistry, watchPostgresPool } from './metrics-registry.ts';
export { registerHttpMetrics } from './http-metrics.ts';
export { recordRouteOutcome, type RouteMetric } from './route-outcome-metrics.ts';
export { recordAuditEvent } from './audit-event-metrics.ts';
export { cellNotificationLag, cellNotificationsLive, groupCommitBatchSize, walFsyncDuration } from './metrics-registry.ts';
export { createManagementServer, type ManagementServer } from './management-server.ts';

import { authed, defineRoutes } from '../http/route.ts';
import { readQueryRequest } from './query-params.ts';
import { queryListXml, runTypedQuery } from './query-service.ts';

/**
 * The query service (spec §9.3). Rights are checked per query type inside the handler, since the
 * type is a parameter. Also the packaged queries `GET /api/vms/query` and `GET /api/vApps/query`
 * (seed 002 lists VMs with `…/vms/query` and reads `QueryResultRecords.VMRecord`; PowerCLI's
 * `Get-CIVApp`, seed 003): same parameters and result shape as `type=vm` / `type=vApp`.
 */
export const xmlQueryRoutes = defineRoutes([
  {
    id: 'xml.query', method: 'GET', path: '/api/query', family: 'xml', auth: 'session',
    handler: (ctx) => {
      const c = authed(ctx);
      const req = readQueryRequest(c.query);
      return req.type === undefined ? queryListXml(c) : runTypedQuery(c, req.type, req, '/api/query');
    },
  },
  {
    id: 'xml.vms.query', method: 'GET', path: '/api/vms/query', family: 'xml', auth: 'session',
    handler: (ctx) => {
      const c = authed(ctx);
      return runTypedQuery(c, 'vm', readQueryRequest(c.query), '/api/vms/query');
    },
  },
  {
    id: 'xml.vApps.query', method: 'GET', path: '/api/vApps/query', family: 'xml', auth: 'session',
    handler: (ctx) => {
      const c = authed(ctx);
      return runTypedQuery(c, 'vApp', readQueryRequest(c.query), '/api/vApps/query');
    },
  },
]);

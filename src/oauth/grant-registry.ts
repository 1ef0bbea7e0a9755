import type { GrantHandler } from './grant-handler.ts';
import { jwtBearerGrant } from './grants/jwt-bearer-grant.ts';
import { refreshTokenGrant } from './grants/refresh-token-grant.ts';

/** The grants the token endpoint supports, by `grant_type`. */
export const grantHandlers: ReadonlyMap<string, GrantHandler> = new Map(
  [refreshTokenGrant, jwtBearerGrant].map((g) => [g.grantType, g]),
);

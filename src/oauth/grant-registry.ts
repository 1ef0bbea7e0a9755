import type { GrantHandler } from './grant-handler.ts';
import { jwtBearerGrant } from './grants/jwt-bearer-grant.ts';
import { refreshTokenGrant } from './grants/refresh-token-grant.ts';
import { deviceCodeGrant } from './grants/device-code-grant.ts';

/** The grants the token endpoint supports, by `grant_type`. */
export const grantHandlers: ReadonlyMap<string, GrantHandler> = new Map(
  [refreshTokenGrant, jwtBearerGrant, deviceCodeGrant].map((g) => [g.grantType, g]),
);

import type { Services } from '../api/http/services.ts';
import type { OAuthOrgRef } from '../tokens/api-token-service.ts';
import type { TokenParams } from './token-request.ts';

/** RFC 6749 §5.1 success body. `refresh_token` is omitted when undefined. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string | null;
}

export interface GrantRequest {
  params: TokenParams;
  org: OAuthOrgRef;
  clientIp: string;
  services: Services;
}

/** Every grant handler has this shape; adding a grant is one file plus one line in the registry. */
export interface GrantHandler {
  readonly grantType: string;
  /** Parameters the grant reads (documentation and the authorization matrix). */
  readonly parameters: readonly string[];
  handle(req: GrantRequest): Promise<TokenResponse>;
}

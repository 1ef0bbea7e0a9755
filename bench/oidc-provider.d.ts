/** The parts of oidc-provider (no bundled types) that bench/peer-oidc-provider.ts uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ClientModel { clientId: string }
  class Grant {
    constructor(init: { accountId: string; clientId: string });
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  class RefreshToken {
    constructor(init: Record<string, unknown>);
    save(): Promise<string>;
  }
  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    Client: { find(id: string): Promise<ClientModel | undefined> };
    Grant: typeof Grant;
    RefreshToken: typeof RefreshToken;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
  export default Provider;
}

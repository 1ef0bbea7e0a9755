import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnUntilReady, type ChildHandle } from './child.ts';

/**
 * The peer of the grant benchmark (issue 18): panva's oidc-provider (the certified OpenID
 * Provider for Node), same Node, its own process like every bench server. One public client
 * (`token_endpoint_auth_method: none`) allowed the refresh_token grant, refresh-token rotation
 * off (our API tokens do not rotate either), and a store with room for every token: a plain Map
 * (the library's default in-memory adapter is an LRU of 1,000 entries, which the measured run
 * would overflow). `count` refresh tokens, each with its own grant and account, are minted at
 * start-up through the library's own models and written to `tokensFile`.
 *
 * What it does per grant: parses the form, loads the client, the refresh token, its grant and
 * account, and issues an opaque access token that it stores (scope `offline_access`, so no ID
 * token is signed). Nothing is durable: the store is memory. Ours signs a JWT access token and
 * answers only after the audit event's commit (and fsync) — the comparison is against the peer's
 * cheapest path.
 * Usage (child): node --import tsx bench/peer-oidc-provider.ts <port> <count> <tokensFile>
 */
type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number };

const stores = new Map<string, Map<string, Payload>>();

class MapAdapter {
  private readonly store: Map<string, Payload>;
  constructor(name: string) {
    this.store = stores.get(name) ?? new Map();
    stores.set(name, this.store);
  }
  async upsert(id: string, payload: Payload): Promise<void> { this.store.set(id, payload); }
  async find(id: string): Promise<Payload | undefined> { return this.store.get(id); }
  async findByUid(uid: string): Promise<Payload | undefined> { for (const p of this.store.values()) if (p.uid === uid) return p; return undefined; }
  async findByUserCode(code: string): Promise<Payload | undefined> { for (const p of this.store.values()) if (p.userCode === code) return p; return undefined; }
  async consume(id: string): Promise<void> { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id: string): Promise<void> { this.store.delete(id); }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const s of stores.values()) for (const [k, p] of s) if (p.grantId === grantId) s.delete(k);
  }
}

async function main(): Promise<void> {
  const [port, count, tokensFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!];
  const { default: Provider } = await import('oidc-provider');
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    adapter: MapAdapter as never,
    clients: [{
      client_id: 'bench-public', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], redirect_uris: ['http://127.0.0.1/cb'],
    }],
    rotateRefreshToken: false,
    scopes: ['openid', 'offline_access'],
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    ttl: { AccessToken: 3600, RefreshToken: 30 * 86_400, Grant: 30 * 86_400 },
  } as never);
  // No per-request logging: the library reports errors through events only when listened to.
  const client = await provider.Client.find('bench-public');
  if (!client) throw new Error('client missing');
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const accountId = `account-${i}`;
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope('offline_access');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({ client, accountId, grantId, scope: 'offline_access', gty: 'authorization_code' } as never);
    tokens.push(await rt.save());
  }
  fs.writeFileSync(tokensFile, JSON.stringify(tokens));
  http.createServer(provider.callback()).listen(port, '127.0.0.1', () => process.stdout.write(`peer listening on ${port}\n`));
  const stop = () => process.exit(0);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export interface PeerServer {
  readonly url: string;
  readonly handle: ChildHandle;
  readonly clientId: string;
  readonly refreshTokens: string[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function startPeerServer(count: number, tokensFile: string): Promise<PeerServer> {
  const port = await freePort();
  const { handle } = await spawnUntilReady({
    command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'bench/peer-oidc-provider.ts'), String(port), String(count), tokensFile],
    env: { ...process.env, NODE_ENV: 'production' }, cwd: ROOT, ready: /peer listening on (\d+)/, timeoutMs: 60_000, label: 'oidc-provider peer',
  });
  const refreshTokens = JSON.parse(fs.readFileSync(tokensFile, 'utf8')) as string[];
  return { url: `http://127.0.0.1:${port}`, handle, clientId: 'bench-public', refreshTokens };
}

export const peerGrantBody = (clientId: string, refreshToken: string) =>
  `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}&client_id=${encodeURIComponent(clientId)}`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

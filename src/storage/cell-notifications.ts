import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { DialectCapabilities } from './dialects/capabilities.ts';
import { cellNotificationLag, cellNotificationsLive } from '../metrics/index.ts';

/** What a cell does when another cell announces a change on a channel. */
export interface NotificationListener {
  /** Another cell (or this one) announced a change. */
  onNotify(payload: string): void;
  /** The notification connection is back: announcements may have been missed, so re-read. */
  onResync?(): void;
  /** The notification connection is lost: stop trusting anything cached until onResync. */
  onLost?(): void;
}

export interface CellNotifications {
  /**
   * True while announcements from other cells are being received. A per-cell cache may be
   * trusted only while this holds (issue 6). Always true where one process owns the database.
   */
  readonly live: boolean;
  /** Adds a listener (channels are plain lower-case identifiers, e.g. `opendirector_signing_keys`). */
  listen(channel: string, listener: NotificationListener): void;
  close(): Promise<void>;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
const HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
/**
 * The heartbeat is a NOTIFY to ourselves on this channel: its answer proves the connection is
 * alive and its delivery time is the cell-notification lag (metric). Other cells' heartbeats on
 * the same channel carry another instance id and are ignored.
 */
const HEARTBEAT_CHANNEL = 'opendirector_heartbeat';

/**
 * Announces a change to every cell listening on `channel` (PostgreSQL NOTIFY, delivered when the
 * caller's transaction commits). Where one process owns the database there is no one to tell.
 */
export async function notifyCells<DB>(db: Kysely<DB>, caps: DialectCapabilities, channel: string, payload = ''): Promise<void> {
  if (!caps.sharedByCells) return;
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}

/**
 * What the notification connection reports. An outage is reported twice, whatever its length:
 * `onLost` when the connection is lost (or the first one cannot be opened) and `onRestored` when
 * it is back; the reconnection attempts in between go to `onRetryFailed` (every 250 ms … 5 s).
 */
export interface CellNotificationEvents {
  /** A listener threw (`what` names its channel). */
  onError?: (err: unknown, what: string) => void;
  onLost?: (err: unknown) => void;
  onRetryFailed?: (err: unknown) => void;
  /** Listening again after an outage of `downMs`; listeners have been told to resync. */
  onRestored?: (downMs: number) => void;
}

/**
 * Receives other cells' announcements on one dedicated connection taken from the pool: LISTEN
 * on every channel, a heartbeat that notices a silently dead connection, and reconnection with
 * back-off. Without a pool (SQLite) nothing is shared and the instance is always live.
 */
export function startCellNotifications(pool: pg.Pool | undefined, events: CellNotificationEvents = {}): CellNotifications {
  if (!pool) return new LocalNotifications();
  const n = new PgNotifications(pool, events);
  n.connect();
  return n;
}

class LocalNotifications implements CellNotifications {
  readonly live = true;
  listen(): void {}
  async close(): Promise<void> {}
}

class PgNotifications implements CellNotifications {
  private readonly listeners = new Map<string, NotificationListener[]>();
  private client: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  /** When the current outage began (performance.now()); undefined while connected or never lost. */
  private downSince: number | undefined;
  private readonly instanceId = randomUUID();
  private _live = false;

  get live(): boolean {
    return this._live;
  }

  private set live(value: boolean) {
    this._live = value;
    cellNotificationsLive.set(value ? 1 : 0);
  }

  constructor(private readonly pool: pg.Pool, private readonly events: CellNotificationEvents) {}

  listen(channel: string, listener: NotificationListener): void {
    if (!CHANNEL.test(channel)) throw new Error(`Invalid notification channel name: ${channel}`);
    const list = this.listeners.get(channel);
    if (list) {
      list.push(listener);
      return;
    }
    this.listeners.set(channel, [listener]);
    // Already connected: LISTEN now; the listener resyncs once it is in place.
    const client = this.client;
    if (client && this.live) {
      client.query(`LISTEN ${channel}`).then(() => listener.onResync?.(), (err: unknown) => this.lost(client, err));
    }
  }

  connect(): void {
    if (this.closed || this.connecting) return;
    this.connecting = this.open().finally(() => {
      this.connecting = undefined;
    });
  }

  private async open(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const c = client;
      c.on('notification', (msg) => this.deliver(msg.channel, msg.payload ?? ''));
      c.on('error', (err) => this.lost(c, err));
      c.on('end', () => this.lost(c, new Error('notification connection ended')));
      await c.query(`LISTEN ${HEARTBEAT_CHANNEL}`);
      // A first lag probe at once (the next in HEARTBEAT_MS), before the other LISTENs.
      await c.query(this.probe());
      for (const channel of this.listeners.keys()) await c.query(`LISTEN ${channel}`);
      if (this.closed) {
        c.release(true);
        return;
      }
      this.client = c;
      this.live = true;
      this.retryMs = RETRY_FIRST_MS;
      this.heartbeat = setInterval(() => this.beat(c), HEARTBEAT_MS);
      this.heartbeat.unref();
      for (const list of this.listeners.values()) for (const l of list) l.onResync?.();
      if (this.downSince !== undefined) {
        const downMs = performance.now() - this.downSince;
        this.downSince = undefined;
        this.events.onRestored?.(downMs);
      }
    } catch (err) {
      try {
        client?.release(true);
      } catch {
        // already released
      }
      this.scheduleRetry(err);
    }
  }

  private deliver(channel: string, payload: string): void {
    if (channel === HEARTBEAT_CHANNEL) {
      const [instance, sentAt] = payload.split(' ');
      if (instance === this.instanceId) cellNotificationLag.observe((performance.now() - Number(sentAt)) / 1000);
      return;
    }
    for (const l of this.listeners.get(channel) ?? []) {
      try {
        l.onNotify(payload);
      } catch (err) {
        this.events.onError?.(err, `listener of ${channel}`);
      }
    }
  }

  /** A NOTIFY to ourselves carrying the time it was sent (deliver() measures the lag). */
  private probe(): { text: string; values: string[] } {
    return { text: 'select pg_notify($1, $2)', values: [HEARTBEAT_CHANNEL, `${this.instanceId} ${performance.now()}`] };
  }

  /** A query on the listening connection: the only way to notice a peer that vanished silently. */
  private beat(client: pg.PoolClient): void {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no heartbeat answer in ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS);
    });
    Promise.race([client.query(this.probe()), timeout])
      .then(() => undefined, (err: unknown) => this.lost(client, err))
      .finally(() => clearTimeout(timer));
  }

  /** Only the current connection counts: events of one already replaced or released are ignored. */
  private lost(client: pg.PoolClient, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.live = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    try {
      client.release(true);
    } catch {
      // already released
    }
    for (const list of this.listeners.values()) for (const l of list) l.onLost?.();
    this.scheduleRetry(err);
  }

  private scheduleRetry(err: unknown): void {
    if (this.closed || this.retryTimer) return;
    // Once per outage: a database down for an hour must not log every 5 s.
    if (this.downSince === undefined) {
      this.downSince = performance.now();
      this.events.onLost?.(err);
    } else {
      this.events.onRetryFailed?.(err);
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    client?.release(true);
  }
}

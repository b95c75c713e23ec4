import { readFileSync } from 'node:fs';
import { type ChannelModel, connect } from 'amqplib';
import { type Clock, systemClock } from '../../clock.js';
import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { redactSecrets } from '../../redact.js';
import { type Backoff, backoff } from '../../retry/backoff.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { VERSION } from '../../version.js';
import type { AmqpSettings } from './amqp-settings.js';
import type { AmqpServer } from './amqp-uri.js';
import { closeQuietly } from './close-quietly.js';
import { coalesceWrites } from './coalesced-writes.js';

export interface AmqpConnectionOptions {
  readonly server: AmqpServer;
  readonly settings: AmqpSettings;
  /** Shown by `rabbitmqctl list_connections client_properties` as `connection_name`. */
  readonly name: string;
  readonly clock?: Clock;
  /** Receives a `warning` for every lost connection and failed reconnect. */
  readonly telemetry?: Telemetry;
  readonly random?: () => number;
  /**
   * Whether the open connection keeps the Node process alive while it is idle (default true). Sinks and
   * the queue runner pass false: an agent that stops on an error without closing them must still exit.
   * Work under way (`whileBusy`: opening a channel, publishes waiting for confirms) and an orderly close
   * keep the process alive either way.
   */
  readonly keepsProcessAlive?: boolean;
}

export type AmqpConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What `describe()` shows about a connection. */
export interface AmqpConnectionStatus {
  readonly state: AmqpConnectionState;
  /** The broker stopped reading from this connection (memory or disk alarm): publishes wait. */
  readonly blocked: boolean;
  readonly blockedReason?: string;
  readonly reconnects: number;
  readonly lastError?: string;
}

type OpenListener = (model: ChannelModel) => void;

/**
 * One AMQP connection kept open: heartbeats on, TLS for `amqps://`, and — once it was open — reconnected
 * for ever with exponential backoff (`reconnectBaseMs` … `reconnectMaxMs`, jittered) when the broker or
 * the network drops it. Users register `onOpen` to re-create their channels, re-declare and re-subscribe
 * after every (re)connection; channels of a lost connection are gone with it. Tracks the broker's
 * `connection.blocked`/`unblocked` for status.
 */
export class AmqpConnection {
  private model: ChannelModel | undefined;
  private current: AmqpConnectionState = 'idle';
  private loop: Promise<void> | undefined;
  private readonly listeners = new Set<OpenListener>();
  private waiters: { resolve: (model: ChannelModel) => void; reject: (error: unknown) => void }[] = [];
  private readonly stop = new AbortController();
  private blockedReason: string | undefined;
  private reconnectCount = 0;
  private lastError: string | undefined;
  private readonly clock: Clock;
  /** Work under way that needs the broker's answers (see `whileBusy`). */
  private busy = 0;
  /** `close` was called: the socket stays referenced until it is closed. */
  private held = false;

  constructor(private readonly options: AmqpConnectionOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get state(): AmqpConnectionState {
    return this.current;
  }

  /** The open connection, or `undefined` while there is none. */
  get channelModel(): ChannelModel | undefined {
    return this.model;
  }

  status(): AmqpConnectionStatus {
    return {
      state: this.current,
      blocked: this.blockedReason !== undefined,
      ...(this.blockedReason === undefined ? {} : { blockedReason: this.blockedReason }),
      reconnects: this.reconnectCount,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  /** Called after every successful (re)connection, in registration order. Returns an unsubscribe. */
  onOpen(listener: OpenListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens the connection, trying `connectAttempts` times with backoff. Once open it is kept open until
   * `close`. Resolves at once when already open; waits for a reconnect under way.
   * @throws SourceUnavailableError (with a hint) when the broker cannot be reached or refuses the login.
   */
  async open(signal?: AbortSignal): Promise<ChannelModel> {
    if (this.model !== undefined) return this.model;
    if (this.current === 'closed') throw new Error(`connection to ${this.options.server.display} is closed`);
    if (this.loop === undefined) this.start(this.options.settings.connectAttempts);
    return this.ready(signal);
  }

  /**
   * Resolves with the open connection, waiting through reconnects (starting one if none is under way).
   * Rejects when `signal` aborts, when the connection is closed, or when a first connection gave up.
   */
  ready(signal?: AbortSignal): Promise<ChannelModel> {
    if (this.model !== undefined) return Promise.resolve(this.model);
    if (this.current === 'closed') return Promise.reject(new Error('connection closed'));
    if (this.loop === undefined) this.start(Number.POSITIVE_INFINITY);
    return new Promise<ChannelModel>((resolve, reject) => {
      const waiter = {
        resolve: (model: ChannelModel) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(model);
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal!.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Runs `work` with the process kept alive until it settles, for a connection opened with
   * `keepsProcessAlive: false`: nothing but the socket may be waiting for the broker's answer (a channel
   * being opened, a confirm), and an unreferenced socket lets Node exit in the middle of it (exit code 13
   * under a top-level await, the work silently lost). Nested and concurrent calls count.
   */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    this.applyRef();
    try {
      return await work();
    } finally {
      this.busy--;
      this.applyRef();
    }
  }

  /**
   * Makes the open connection keep the process alive from now on (for one that was opened with
   * `keepsProcessAlive: false`): an orderly close waits for the broker's answers.
   */
  hold(): void {
    this.held = true;
    this.applyRef();
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.hold();
    this.current = 'closed';
    this.stop.abort(new Error('connection closed'));
    const model = this.model;
    this.model = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('connection closed'));
    if (model !== undefined) await closeQuietly(model);
    await this.loop?.catch(() => undefined);
  }

  /** Runs the connect loop in the background (at most one at a time). */
  private start(attempts: number): void {
    this.current =
      this.reconnectCount > 0 || attempts === Number.POSITIVE_INFINITY ? 'reconnecting' : 'connecting';
    const loop = this.connectLoop(attempts).finally(() => {
      if (this.loop === loop) this.loop = undefined;
    });
    this.loop = loop;
    loop.catch(() => undefined);
  }

  private async connectLoop(attempts: number): Promise<void> {
    const { settings, server } = this.options;
    let wait: Backoff = backoff(
      { kind: 'exponential', baseMs: settings.reconnectBaseMs, maxMs: settings.reconnectMaxMs, jitter: 0.2 },
      this.options.random,
    );
    for (let attempt = 1; ; attempt++) {
      if (this.stop.signal.aborted) return;
      try {
        const model = await this.connectOnce();
        if (this.stop.signal.aborted) {
          await closeQuietly(model);
          return;
        }
        this.opened(model);
        return;
      } catch (error) {
        this.lastError = redactSecrets(describeError(error));
        if (attempt >= attempts) {
          this.current = 'idle';
          const failure = new SourceUnavailableError(
            `cannot reach RabbitMQ at ${server.display}: ${this.lastError}`,
            {
              cause: error,
              hint: `check that the broker runs at ${server.address} and that the user, password and vhost are right (rabbitmqctl list_vhosts, list_users)`,
            },
          );
          for (const waiter of this.waiters.splice(0)) waiter.reject(failure);
          return;
        }
        this.options.telemetry?.emit('warning', {
          message: `${this.options.name}: cannot reach ${server.address} (${this.lastError}); retrying in ${wait.delayMs} ms`,
        });
        try {
          await this.clock.sleep(wait.delayMs, this.stop.signal);
        } catch {
          return;
        }
        wait = wait.next();
      }
    }
  }

  private async connectOnce(): Promise<ChannelModel> {
    const { server, settings, name } = this.options;
    const tls = settings.tls;
    return connect(
      { ...server.connect, heartbeat: settings.heartbeatSeconds },
      {
        timeout: settings.connectTimeoutMs,
        noDelay: true,
        clientProperties: { connection_name: name, product: 'agentctl', version: VERSION },
        ...(server.tls
          ? {
              ...(tls.ca === undefined ? {} : { ca: [readFileSync(tls.ca)] }),
              ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
              ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
              ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
              ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
              ...(tls.servername === undefined ? {} : { servername: tls.servername }),
            }
          : {}),
      },
    );
  }

  private opened(model: ChannelModel): void {
    this.model = model;
    coalesceWrites(model);
    this.applyRef();
    this.current = 'open';
    this.blockedReason = undefined;
    model.on('error', (error: Error) => {
      this.lastError = redactSecrets(describeError(error));
    });
    model.on('blocked', (reason: string) => {
      this.blockedReason = reason || 'blocked';
      this.options.telemetry?.emit('warning', {
        message: `${this.options.name}: the broker blocked the connection (${this.blockedReason})`,
      });
    });
    model.on('unblocked', () => {
      this.blockedReason = undefined;
    });
    model.on('close', (error?: Error) => {
      if (this.model !== model) return;
      this.model = undefined;
      this.blockedReason = undefined;
      if (this.current === 'closed') return;
      if (error !== undefined) this.lastError = redactSecrets(describeError(error));
      this.reconnectCount++;
      this.options.telemetry?.emit('warning', {
        message: `${this.options.name}: connection to ${this.options.server.address} lost (${this.lastError ?? 'closed'}); reconnecting`,
      });
      this.start(Number.POSITIVE_INFINITY);
    });
    for (const waiter of this.waiters.splice(0)) waiter.resolve(model);
    for (const listener of this.listeners) listener(model);
  }

  /** References the socket while the connection must keep the process alive, unreferences it otherwise. */
  private applyRef(): void {
    const model = this.model;
    if (model === undefined || this.options.keepsProcessAlive !== false) return;
    if (this.held || this.busy > 0) internals(model)?.stream?.ref?.();
    else unref(model);
  }
}

/** amqplib's internals that hold the event loop: the socket and the heartbeat timers. */
interface Internals {
  readonly connection?: {
    readonly stream?: { unref?: () => void; ref?: () => void };
    readonly heartbeater?: {
      readonly sendTimer?: { unref?: () => void };
      readonly recvTimer?: { unref?: () => void };
    };
  };
}

/** Lets the process exit while this connection is open (best effort: amqplib has no public switch). */
function unref(model: ChannelModel): void {
  const connection = internals(model);
  connection?.stream?.unref?.();
  connection?.heartbeater?.sendTimer?.unref?.();
  connection?.heartbeater?.recvTimer?.unref?.();
}

function internals(model: ChannelModel): Internals['connection'] {
  return (model as unknown as Internals).connection;
}

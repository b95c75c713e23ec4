import type { Clock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { describeError } from '../errors/agentctl-error.js';
import { contingency } from '../publish/contingency.js';
import { openSink } from '../publish/open-sink.js';
import { RetryingPublisher } from '../publish/retrying-publisher.js';
import { PublisherStatusBoard } from '../publish/status-board.js';
import type { Journal } from '../store/journal.js';
import type { StateStore } from '../store/state-store.js';
import type { Stats } from '../telemetry/stats.js';

export interface SinkPublishersOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
  /** Where efforts are recorded and records that cannot be delivered are parked. */
  readonly journal: Journal;
  readonly clock: Clock;
  readonly stats?: Stats;
}

/** A sink that could not be opened (unknown scheme, an adapter missing from this build, a bad URI). */
export class SinkUnavailable {
  constructor(
    readonly sink: string,
    readonly error: string,
  ) {}

  get message(): string {
    return `sink ${this.sink} is not available: ${this.error}`;
  }
}

/**
 * The publishers of the sinks a replay delivers to, one `RetryingPublisher` per sink, opened on first use
 * with the agent config's contingency and sharing one status board (a sink that keeps failing is disabled
 * for the rest of the replay, as in `consume`). A sink is known by its URI or by its name (`Sink.name`,
 * which is what parked records carry); both lead to the same publisher.
 */
export class SinkPublishers {
  private readonly byUri = new Map<string, Promise<RetryingPublisher | SinkUnavailable | undefined>>();
  private readonly byName = new Map<string, RetryingPublisher>();
  private readonly board: PublisherStatusBoard;

  constructor(private readonly options: SinkPublishersOptions) {
    const publisher = options.config.publisher ?? {};
    this.board = new PublisherStatusBoard({
      clock: options.clock,
      ...(publisher.disableAfter === undefined ? {} : { disableAfter: publisher.disableAfter }),
      ...(publisher.coolDownMs === undefined ? {} : { coolDownMs: publisher.coolDownMs }),
    });
  }

  /**
   * The publisher of a sink; `undefined` for `none`; a `SinkUnavailable` (remembered, so the sink is not
   * opened again for every record) when it cannot be opened.
   */
  get(uri: string): Promise<RetryingPublisher | SinkUnavailable | undefined> {
    let opening = this.byUri.get(uri);
    if (opening === undefined) {
      opening = this.open(uri);
      this.byUri.set(uri, opening);
    }
    return opening;
  }

  /** Waits for every pending effort, then closes the sinks. */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((publisher) => publisher.close()));
  }

  private async open(uri: string): Promise<RetryingPublisher | SinkUnavailable | undefined> {
    const { store, config, journal, clock, stats } = this.options;
    let sink: Awaited<ReturnType<typeof openSink>>;
    try {
      sink = await openSink(uri, { store, ...(config.adapters ? { settings: config.adapters } : {}) });
    } catch (error) {
      return new SinkUnavailable(uri, describeError(error));
    }
    if (sink === undefined) return undefined;
    const known = this.byName.get(sink.name);
    if (known !== undefined) {
      await sink.close();
      return known;
    }
    const settings = config.publisher ?? {};
    const publisher = new RetryingPublisher({
      sink,
      contingency: contingency(settings.contingency ?? {}),
      journal,
      group: config.name,
      board: this.board,
      clock,
      ...(stats === undefined ? {} : { stats }),
      ...(settings.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: settings.attemptTimeoutMs }),
    });
    this.byName.set(sink.name, publisher);
    return publisher;
  }
}

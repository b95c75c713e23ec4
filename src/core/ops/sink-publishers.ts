import type { Clock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { AGENT_SINK_REF, resolveSettings } from '../config/build-agent.js';
import { describeError } from '../errors/agentctl-error.js';
import type { Stats } from '../model/stats.js';
import { contingency } from '../publish/contingency.js';
import { openSink } from '../publish/open-sink.js';
import { RetryingPublisher } from '../publish/retrying-publisher.js';
import { PublisherStatusBoard } from '../publish/status-board.js';
import { redactUri } from '../redact.js';
import type { Journal } from '../store/journal.js';
import type { FailedMessage } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';

export interface SinkPublishersOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
  /** Where efforts are recorded and records that cannot be delivered are parked. */
  readonly journal: Journal;
  readonly clock: Clock;
  readonly stats?: Stats;
  /**
   * The sink to deliver to instead of the agent's (`replay --sink`, `AGENTCTL_SINK`): a URI, credentials
   * included. Parked records and the results of replayed events all go there.
   */
  readonly sink?: string;
}

/** Schemes whose URIs carry the credentials, which a sink's name leaves out: a name alone cannot reach them. */
const CREDENTIALS_IN_URI = /^amqps?:/i;

/** A sink's publisher; `undefined` for the sink `none`. */
export type Opened = RetryingPublisher | SinkUnavailable | undefined;

/** A sink that could not be opened (unknown scheme, an adapter missing from this build, a bad URI). */
export class SinkUnavailable {
  /** The sink as given (a URI is shown with its credentials redacted). */
  readonly sink: string;

  constructor(
    sink: string,
    readonly error: string,
  ) {
    this.sink = redactUri(sink);
  }

  get message(): string {
    return `sink ${this.sink} is not available: ${this.error}`;
  }
}

/**
 * The publishers of the sinks a replay delivers to, one `RetryingPublisher` per sink, opened on first use
 * with the agent config's contingency and sharing one status board (a sink that keeps failing is disabled
 * for the rest of the replay, as in `consume`). A sink is known by its URI or by its name (`Sink.name`);
 * both lead to the same publisher. Parked records name their sink without its credentials; `forRecord`
 * finds its URI again.
 */
export class SinkPublishers {
  private readonly byUri = new Map<string, Promise<Opened>>();
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
   * The publisher of the agent's sink: `options.sink` when given, else the config's `publisher.sink`
   * (records it parks carry the reference `publisher.sink`, never the URI).
   */
  agentSink(): Promise<Opened> {
    const { sink, config } = this.options;
    return sink === undefined ? this.get(resolveSettings(config).sink, AGENT_SINK_REF) : this.get(sink);
  }

  /**
   * The publisher of the sink a parked record was meant for:
   * - with `options.sink` (`replay --sink`), that sink;
   * - a record parked for the agent's sink (`sinkRef: publisher.sink`): the agent's sink as the config
   *   names it now, credentials and all — also when it has moved since;
   * - a record without a reference (parked before references were kept, or for a sink given by `--sink`
   *   to consume): the agent's sink when its name is the record's `sink`; else the `sink` itself, unless
   *   it is an AMQP sink, whose name lacks the credentials (`SinkUnavailable` asking for `--sink`).
   */
  async forRecord(item: Pick<FailedMessage, 'sink' | 'sinkRef'>): Promise<Opened> {
    if (this.options.sink !== undefined || item.sinkRef === AGENT_SINK_REF) return this.agentSink();
    const name = item.sink ?? '';
    if (name === '') return new SinkUnavailable('(none)', 'the item names no sink; replay with --sink URI');
    const agent = await this.agentSink();
    if (agent instanceof RetryingPublisher && agent.sink === name) return agent;
    if (item.sinkRef !== undefined) {
      return new SinkUnavailable(name, `unknown sink reference "${item.sinkRef}"; replay with --sink URI`);
    }
    if (CREDENTIALS_IN_URI.test(name)) {
      return new SinkUnavailable(
        name,
        `it is not the agent's sink${agent instanceof RetryingPublisher ? ` (${agent.sink})` : ''} and its credentials are not kept; replay with --sink URI, or set publisher.sink to it`,
      );
    }
    return this.get(name);
  }

  /**
   * The publisher of a sink; `undefined` for `none`; a `SinkUnavailable` (remembered, so the sink is not
   * opened again for every record) when it cannot be opened.
   */
  get(uri: string, sinkRef?: string): Promise<Opened> {
    let opening = this.byUri.get(uri);
    if (opening === undefined) {
      opening = this.open(uri, sinkRef);
      this.byUri.set(uri, opening);
    }
    return opening;
  }

  /** Waits for every pending effort, then closes the sinks. */
  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((publisher) => publisher.close()));
  }

  private async open(uri: string, sinkRef: string | undefined): Promise<Opened> {
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
      ...(sinkRef === undefined ? {} : { sinkRef }),
      board: this.board,
      clock,
      ...(stats === undefined ? {} : { stats }),
      ...(settings.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: settings.attemptTimeoutMs }),
    });
    this.byName.set(sink.name, publisher);
    return publisher;
  }
}

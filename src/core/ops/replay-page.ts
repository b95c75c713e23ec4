import { hostname } from 'node:os';
import { agentPipeline } from '../agent/agent-pipeline.js';
import type { Clock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { type CloudEvent, decodeCloudEvent } from '../events/cloud-event.js';
import type { Effort } from '../model/effort.js';
import type { Stats } from '../model/stats.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import type { Publisher, PublishRecord } from '../publish/publisher.js';
import { RuleSet } from '../rules/rule-set.js';
import { InlineRunner } from '../runners/inline-runner.js';
import type { Journal } from '../store/journal.js';
import { recordParkKey, recordParkKeyPrefix } from '../store/parking.js';
import type { FailedKind, FailureAttempt, ReplayableMessage } from '../store/records.js';
import type { Writable } from '../store/rows/writable.js';
import type { StateStore } from '../store/state-store.js';
import { failureText } from '../strategies/dead-letter.js';
import { type Commit, MessageRejected, type ProcessingStrategy } from '../strategies/processing-strategy.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { Bytes, FailureReason, Message } from '../types.js';
import { type Opened, type SinkPublishers, SinkUnavailable } from './sink-publishers.js';

/** How a replayed item ended: its event processed, matched by no rule any more, or its record delivered. */
export type ReplayedAs = 'processed' | 'unmatched' | 'delivered';

export interface ReplayItemOutcome {
  readonly id: number;
  readonly kind: FailedKind;
  readonly reason: FailureReason;
  /** `replayed` (now marked so), `failed` (still pending, one more failure recorded), `skipped` (dry run). */
  readonly outcome: 'replayed' | 'failed' | 'skipped';
  readonly as?: ReplayedAs;
  readonly error?: string;
}

/** What a page replay takes of the replay's options. */
export interface PageReplayOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
}

/** Carries the failed item's id through the strategy chain (attributes survive every step). */
const ITEM_ATTRIBUTE = 'agentctl.replay.item';

/** The fields of an item its outcome repeats. */
export function identity(item: ReplayableMessage): Pick<ReplayItemOutcome, 'id' | 'kind' | 'reason'> {
  return { id: item.id, kind: item.kind, reason: item.reason };
}

type Outcome = { readonly as: ReplayedAs } | { readonly error: string };

/**
 * The records a page handed to publishers: the `i`-th went to sink `sinks[i]` as record `ids[i]`. Should
 * the publisher park one, it does so under `recordParkKey(sink, id)`, the key of an item that exists.
 */
interface Republished {
  readonly sinks: string[];
  readonly ids: string[];
}

/** Outcomes many items share (one object, not one per item). */
const DELIVERED: Outcome = { as: 'delivered' };
const NO_OUTCOME: Outcome = { error: 'not replayed: the pipeline ended without an outcome' };

/** Replays pages of items: events through the agent's pipeline, records to their sinks. */
export class PageReplay {
  private readonly rules: RuleSet;
  private readonly processes: ProcessRegistry;
  private readonly runner: InlineRunner;
  private readonly worker = `replay@${hostname()}#${process.pid}`;
  /** The pipeline context asks for one; nothing is emitted to it (this failure exit never parks). */
  private readonly telemetry = new Telemetry();

  constructor(
    private readonly options: PageReplayOptions,
    private readonly clock: Clock,
    private readonly journal: Journal,
    private readonly publishers: SinkPublishers,
    private readonly stats: Stats,
  ) {
    const { config } = options;
    this.rules = new RuleSet(config.rules ?? []);
    this.processes = new ProcessRegistry(
      (config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[],
    );
    this.runner = new InlineRunner({ clock, journal, stats });
  }

  /**
   * Replays a page; returns its outcomes (`replayed` of them replayed) at once, and `written`, which
   * settles once the page's runs, efforts, parkings and item statuses are in the store, in one flush (the
   * next page runs meanwhile).
   */
  async run(
    page: readonly ReplayableMessage[],
    parkedHere: Set<string>,
  ): Promise<{ outcomes: ReplayItemOutcome[]; replayed: number; written: Promise<void> }> {
    const outcomes = new Map<number, Outcome>();
    const records = page.filter((item) => item.kind === 'record');
    const events = page.filter((item) => item.kind !== 'record');
    const bySource = new Map<string, ReplayableMessage[]>();
    for (const item of events) {
      const group = bySource.get(item.source);
      if (group === undefined) bySource.set(item.source, [item]);
      else group.push(item);
    }
    const republished: Republished = { sinks: [], ids: [] };
    await Promise.all([
      ...[...bySource].map(([source, items]) => this.replayEvents(source, items, outcomes)),
      this.republish(records, republished, outcomes),
    ]);
    const batch = this.journal.take();
    let parked = batch.parked;
    if (parked.length > 0) {
      /** Keys under which the publisher parks the records replayed here: those items exist already. */
      const replaying = new Set(records.map((item) => item.key));
      for (let i = 0; i < republished.ids.length; i++)
        replaying.add(recordParkKey(republished.sinks[i]!, republished.ids[i]!));
      parked = parked.filter((p) => !replaying.has(p.key));
      for (const p of parked) parkedHere.add(p.key);
    }
    // One pass over the page: its outcomes, the ids to mark replayed, the failures to record.
    const at = this.clock.now();
    const outcomesOfPage: ReplayItemOutcome[] = new Array(page.length);
    const replayed: number[] = [];
    const refailed: { id: number; attempt: FailureAttempt }[] = [];
    for (let i = 0; i < page.length; i++) {
      const item = page[i]!;
      const outcome = outcomes.get(item.id) ?? NO_OUTCOME;
      if ('as' in outcome) {
        outcomesOfPage[i] = {
          id: item.id,
          kind: item.kind,
          reason: item.reason,
          outcome: 'replayed',
          as: outcome.as,
        };
        replayed.push(item.id);
      } else {
        outcomesOfPage[i] = {
          id: item.id,
          kind: item.kind,
          reason: item.reason,
          outcome: 'failed',
          error: outcome.error,
        };
        refailed.push({ id: item.id, attempt: { at, error: outcome.error, via: 'replay' } });
      }
    }
    const written = this.options.store.flush({ ...batch, parked, replayed, refailed });
    return { outcomes: outcomesOfPage, replayed: replayed.length, written: written.then(() => undefined) };
  }

  /** Runs events of one source through decode → rules → processes → publish → done. */
  private async replayEvents(
    source: string,
    items: readonly ReplayableMessage[],
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const publisher = await this.publishers.agentSink();
    if (publisher instanceof SinkUnavailable) {
      for (const item of items) outcomes.set(item.id, { error: publisher.message });
      return;
    }
    const done = new AbortController();
    const chain = this.chain(source, publisher, outcomes, done.signal);
    for (const item of items) {
      const message: Message<Bytes> = {
        partition: item.partition,
        position: item.position,
        payload: item.raw,
        raw: item.raw,
        timestamp: item.timestamp,
        attributes: { [ITEM_ATTRIBUTE]: item.id },
      };
      for (;;) {
        try {
          chain.submit(message);
          break;
        } catch (error) {
          if (!(error instanceof MessageRejected)) throw error;
          await (chain.poll() ?? this.clock.sleep(1));
        }
      }
    }
    chain.close();
    try {
      await chain.join();
    } finally {
      done.abort();
    }
  }

  /**
   * The agent pipeline for one source's items. Its commit and its failure exit record outcomes on the
   * items being replayed: a failure is recorded on its item (parked already), not parked as a new one.
   */
  private chain(
    source: string,
    publisher: Publisher | undefined,
    outcomes: Map<number, Outcome>,
    signal: AbortSignal,
  ): ProcessingStrategy<Bytes> {
    const { config, store } = this.options;
    const commit: Commit = (message, outcome) =>
      outcomes.set(itemOf(message), { as: outcome === 'unmatched' ? 'unmatched' : 'processed' });
    // No `efforts`: a succeeded run's record that was not delivered is an item of its own (reason
    // `publish`), replayed as such — publishing it again here would deliver it twice.
    return agentPipeline({
      group: config.name,
      source,
      worker: this.worker,
      decoder: config.decode ?? decodeCloudEvent,
      rules: this.rules,
      processes: this.processes,
      runner: this.runner,
      runs: store.runs,
      stats: this.stats,
      clock: this.clock,
      ...(publisher === undefined ? {} : { publisher }),
      onInvalid: (error) => outcomes.set(itemOf(error.subject), { error: failureText(error) }),
    }).create({
      partitions: new Set(),
      commit,
      journal: this.journal,
      clock: this.clock,
      telemetry: this.telemetry,
      signal,
    });
  }

  /**
   * Publishes parked records again, each to the sink it was meant for (see `SinkPublishers.forRecord`),
   * in item order (the publisher keeps that order per record key). The sinks are looked up once per
   * distinct sink of the page, then every record is handed to its publisher in one synchronous pass, so
   * that the publisher sends the page in as few batches as its sink takes. Each record handed over is noted
   * in `republished`.
   */
  private async republish(
    records: readonly ReplayableMessage[],
    republished: Republished,
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const sinks = new Map<string, Promise<Opened>>();
    const sinkKeys = records.map((item) => `${item.sinkRef ?? ''}\n${item.sink ?? ''}`);
    for (let i = 0; i < records.length; i++) {
      const key = sinkKeys[i]!;
      if (!sinks.has(key)) sinks.set(key, this.publishers.forRecord(records[i]!));
    }
    const opened = new Map<string, Opened>();
    await Promise.all([...sinks].map(async ([key, publisher]) => opened.set(key, await publisher)));
    /** The items handed to a publisher, and their efforts (settled together, one wait per page). */
    const sent: ReplayableMessage[] = [];
    const efforts: Promise<Effort>[] = [];
    const prefixes = new Map<string, string>();
    for (let i = 0; i < records.length; i++) {
      const item = records[i]!;
      const sink = item.sink ?? '';
      const publisher = opened.get(sinkKeys[i]!);
      if (publisher === undefined) {
        outcomes.set(item.id, { error: `sink ${sink || '(none)'} is not available (the sink is none)` });
        continue;
      }
      if (publisher instanceof SinkUnavailable) {
        outcomes.set(item.id, { error: publisher.message });
        continue;
      }
      let prefix = prefixes.get(sink);
      if (prefix === undefined) {
        prefix = recordParkKeyPrefix(sink);
        prefixes.set(sink, prefix);
      }
      const id = item.key.startsWith(prefix)
        ? item.key.slice(prefix.length)
        : (item.runId ?? `failed-${item.id}`);
      republished.sinks.push(publisher.sink);
      republished.ids.push(id);
      sent.push(item);
      efforts.push(publisher.publish(recordOf(item, id)));
    }
    const done = await Promise.all(efforts);
    for (let i = 0; i < sent.length; i++) {
      const item = sent[i]!;
      const effort = done[i]!;
      outcomes.set(
        item.id,
        effort.culmination === 'delivered'
          ? DELIVERED
          : { error: effort.lastError ?? `not delivered to ${item.sink ?? ''}` },
      );
    }
  }
}

/** The record a parked item holds, published again under `id` (built field by field: no spreads). */
function recordOf(item: ReplayableMessage, id: string): PublishRecord {
  const record: Writable<PublishRecord> = {
    id,
    value: item.raw,
    timestamp: item.timestamp,
    origin: { source: item.source, partition: item.partition, position: item.position },
  };
  if (item.recordKey !== undefined) record.key = item.recordKey;
  if (item.headers !== undefined) record.headers = item.headers;
  if (item.runId !== undefined) record.runId = item.runId;
  return record;
}

function itemOf(message: Message<unknown>): number {
  return Number(message.attributes[ITEM_ATTRIBUTE]);
}

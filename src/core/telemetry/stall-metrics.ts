import { Gauge, type Registry } from 'prom-client';
import type { StatusSnapshot } from '../model/status-snapshot.js';
import { METRIC } from './metric-names.js';
import { checkpointAgeMs, stallOf } from './stall.js';

/**
 * One status snapshot per scrape: every gauge collected by one `registry.metrics()` asks at once, and
 * shares the snapshot being taken.
 */
export function snapshotPerScrape(subject: {
  snapshot(): Promise<StatusSnapshot>;
}): () => Promise<StatusSnapshot | undefined> {
  let taking: Promise<StatusSnapshot | undefined> | undefined;
  return () => {
    taking ??= subject
      .snapshot()
      .catch(() => undefined)
      .finally(() => {
        taking = undefined;
      });
    return taking;
  };
}

/**
 * The gauges an operator alerts on, set from the agent's status snapshot at each scrape: per partition
 * it reads, whether it is STALLED (`stallOf`, 0/1) and its checkpoint age (seconds since its checkpoint
 * last moved while work waited; about 0 while it is caught up); whether the poison guard tripped; per
 * sink, whether it is enabled. Labels: `group`, `source` (the source id), `partition`; `sink`.
 */
export function registerStallMetrics(
  registry: Registry,
  snapshot: () => Promise<StatusSnapshot | undefined>,
): void {
  const partitions = ['group', 'source', 'partition'];
  new Gauge({
    name: METRIC.partitionStalled,
    help: 'A partition is STALLED: its owner is alive, it is behind, and its checkpoint has not moved for consumer.stallAfterMs (or a step runs past its timeout).',
    labelNames: partitions,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const [labels, p] of readPartitions(s)) {
        this.set(labels, stallOf(p, s!.runsInFlight ?? [], s!.stall!, s!.takenAt) === undefined ? 0 : 1);
      }
    },
  });
  new Gauge({
    name: METRIC.checkpointAge,
    help: 'Seconds the partition’s checkpoint has not moved while work waited (about 0 while it is caught up).',
    labelNames: partitions,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const [labels, p] of readPartitions(s)) this.set(labels, checkpointAgeMs(p, s!.takenAt)! / 1000);
    },
  });
  new Gauge({
    name: METRIC.poisonGuardTripped,
    help: 'The poison guard tripped: the consumer stops instead of parking everything (1), else 0.',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      if (s !== undefined) this.set(s.poisonStorm === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: METRIC.sinkEnabled,
    help: 'A sink is enabled (1), or disabled for a cool-down after failing in a row (0).',
    labelNames: ['sink'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const sink of (await snapshot())?.sinks ?? []) this.set({ sink: sink.name }, sink.enabled ? 1 : 0);
    },
  });
}

type Labels = { group: string; source: string; partition: string };

/** The partitions the agent reads (their progress is tracked), with their labels. */
function readPartitions(s: StatusSnapshot | undefined): [Labels, StatusSnapshot['partitions'][number]][] {
  if (s?.stall === undefined) return [];
  return s.partitions
    .filter((p) => p.progressAt !== undefined)
    .map((p) => [{ group: s.name, source: s.source.id, partition: p.partition }, p]);
}

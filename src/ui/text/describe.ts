import type { SourceDescription } from '../../core/ops/describe.js';
import type { AmqpQueueDescription, Sourced, ValueOrigin } from '../../core/ops/describe-amqp.js';
import type { KinesisDescription, ShardView } from '../../core/ops/describe-kinesis.js';
import type { LocalLogDescription } from '../../core/ops/describe-local.js';
import { count, plural, timestamp } from './format.js';
import { printable } from './printable.js';
import { renderTable } from './table.js';

/** What `agentctl describe` prints: one section per kind of source. */
export function renderDescription(d: SourceDescription): string {
  switch (d.kind) {
    case 'local':
      return renderLocal(d);
    case 'kinesis':
      return renderKinesis(d);
    case 'amqp':
      return renderAmqp(d);
  }
}

/** `label  value` lines, the labels padded to one width. */
function fields(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${printable(value)}`).join('\n');
}

function renderLocal(d: LocalLogDescription & { source: string }): string {
  const out = [
    `${d.source} — embedded log topic "${d.topic}" (created ${timestamp(d.createdAt)})`,
    fields([
      ['partitions', String(d.partitions.length)],
      ['records', `${count(d.records)} (sizes in bytes are not counted)`],
      ...(d.key === undefined
        ? []
        : [['key', `"${d.key.key}" → partition ${d.key.partition}`] as [string, string]]),
    ]),
    '',
    renderTable(
      [
        { header: 'PARTITION', value: (p) => p.partition },
        { header: 'FIRST', value: (p) => (p.first === undefined ? '-' : String(p.first)), align: 'right' },
        { header: 'LAST', value: (p) => (p.last === undefined ? '-' : String(p.last)), align: 'right' },
        { header: 'RECORDS', value: (p) => count(p.records), align: 'right' },
      ],
      d.partitions,
    ),
    '',
  ];
  const rows = d.groups.flatMap((g) => g.partitions.map((p) => ({ group: g.group, ...p })));
  out.push(
    renderTable(
      [
        { header: 'GROUP', value: (r) => r.group },
        { header: 'PARTITION', value: (r) => r.partition },
        { header: 'CHECKPOINT', value: (r) => r.checkpoint ?? '(none)', align: 'right' },
        { header: 'LAG', value: (r) => count(r.lagRecords), align: 'right' },
      ],
      rows,
      '(no group has a checkpoint on this topic)',
    ),
  );
  if (rows.some((r) => r.checkpoint === undefined))
    out.push('(none): no checkpoint — the group reads the partition from its first record');
  return out.join('\n');
}

/** Where a hash key range lies in the key space (0 … 2^128 − 1), in percent. */
function share(s: ShardView): string {
  const space = 2n ** 128n;
  const pct = (n: string) => `${(Number((BigInt(n) * 1_000_000n) / space) / 10_000).toFixed(2)}%`;
  return `${pct(s.hashKeys.start)}–${pct((BigInt(s.hashKeys.end) + 1n).toString())} of the key space`;
}

function renderKinesis(d: KinesisDescription & { source: string }): string {
  const consumers = d.consumers.listed
    ? d.consumers.items.length === 0
      ? 'none registered'
      : d.consumers.items.map((c) => `${c.name} (${c.status})`).join(', ')
    : `not listed: ${d.consumers.reason}`;
  const out = [
    `${d.source} — Kinesis stream "${d.stream}"`,
    fields([
      ['status', d.status ?? '-'],
      ['retention', d.retentionHours === undefined ? '-' : `${d.retentionHours} h`],
      ...(d.mode === undefined ? [] : [['mode', d.mode] as [string, string]]),
      ...(d.encryption === undefined ? [] : [['encryption', d.encryption] as [string, string]]),
      ['shards', `${d.openShards} open, ${d.closedShards} closed`],
      ['consumers', consumers],
      ...(d.arn === undefined ? [] : [['arn', d.arn] as [string, string]]),
    ]),
  ];
  if (d.key !== undefined) {
    const before =
      d.key.before.length === 0 ? '' : `; earlier records with it are in ${d.key.before.join(', ')}`;
    out.push(
      '',
      `key "${d.key.key}" (hash key ${d.key.hashKey}) → ${d.key.shard ?? '(no open shard holds it)'}${before}`,
    );
  }
  for (const s of d.shards) {
    const parents = [s.parent, s.adjacentParent].filter((p) => p !== undefined).join(', ');
    out.push(
      '',
      `${s.shard}  ${s.state}`,
      fields([
        ['  parents', parents || '-'],
        ['  children', s.children.join(', ') || '-'],
        ['  hash keys', `${s.hashKeys.start} … ${s.hashKeys.end} (${share(s)})`],
        ['  sequences', `${s.sequences.start} … ${s.sequences.end ?? '(open)'}`],
      ]),
    );
  }
  return out.join('\n');
}

const ORIGIN: Readonly<Record<ValueOrigin, string>> = {
  'passive-declare': 'broker, passive declare',
  management: 'management API',
  uri: 'source URI, not the broker',
  config: 'adapters.amqp, not the broker',
  default: 'agentctl’s default, not the broker',
};

function sourced<T>(s: Sourced<T>, show: (value: T) => string = String): string {
  return `${show(s.value)}  (${ORIGIN[s.from]})`;
}

function args(value: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(value);
  return entries.length === 0 ? '(none)' : entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}

function renderAmqp(d: AmqpQueueDescription & { source: string }): string {
  const m = d.management;
  const out = [
    `${d.source} — RabbitMQ queue "${d.queue}" on ${d.server} (vhost ${d.vhost})`,
    fields([
      ['type', sourced(d.type)],
      ['ready', sourced(d.ready, count)],
      [
        'unacked',
        d.unacked !== undefined
          ? sourced(d.unacked, count)
          : m === undefined
            ? '- (needs --management-url)'
            : '- (the management API has no sample yet)',
      ],
      ['consumers', sourced(d.consumers, count)],
      [
        'dead-letter',
        d.deadLetter === undefined
          ? `(none)  (${ORIGIN[d.arguments.from]})`
          : `exchange ${d.deadLetter.exchange}${d.deadLetter.routingKey === undefined ? '' : `, routing key ${d.deadLetter.routingKey}`}  (${ORIGIN[d.arguments.from]})`,
      ],
      ['arguments', sourced(d.arguments, args)],
      ...(m === undefined
        ? []
        : ([
            ...(m.state === undefined && m.node === undefined
              ? []
              : [['state', `${m.state ?? '-'} on ${m.node ?? '-'}`]]),
            [
              'durable',
              `${m.durable ?? '-'}, auto-delete ${m.autoDelete ?? '-'}, exclusive ${m.exclusive ?? '-'}`,
            ],
            ['policy', m.policy ?? '(none)'],
            [
              'rates',
              Object.keys(m.rates).length === 0
                ? '(no messages moved yet)'
                : Object.entries(m.rates)
                    .map(([name, rate]) => `${name} ${rate.toFixed(1)}/s`)
                    .join(', '),
            ],
          ] as [string, string][])),
    ]),
  ];
  if (m === undefined) {
    out.push(
      '',
      'A passive declare returns only ready messages and consumers: the type and arguments above are what agentctl declares the queue with, not read from the broker. --management-url URL reads them, and unacked messages, rates, consumer hosts and bindings, from the management API.',
    );
    return out.join('\n');
  }
  out.push(
    '',
    `consumers (${m.url}):`,
    renderTable(
      [
        { header: 'TAG', value: (c) => c.tag },
        { header: 'HOST', value: (c) => (c.host === undefined ? '-' : `${c.host}:${c.port ?? '?'}`) },
        { header: 'CONNECTION', value: (c) => c.connection ?? '-' },
        {
          header: 'PREFETCH',
          value: (c) => (c.prefetch === undefined ? '-' : String(c.prefetch)),
          align: 'right',
        },
        { header: 'ACK', value: (c) => (c.ackRequired === false ? 'no' : 'yes') },
      ],
      m.consumerHosts,
    ),
    '',
    `bindings: ${plural(m.bindings.length, 'binding')}`,
    renderTable(
      [
        { header: 'EXCHANGE', value: (b) => b.exchange },
        { header: 'ROUTING KEY', value: (b) => b.routingKey || '""' },
        { header: 'ARGUMENTS', value: (b) => args(b.arguments) },
      ],
      m.bindings,
    ),
  );
  return out.join('\n');
}

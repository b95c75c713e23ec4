import { DescribeStreamSummaryCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { KinesisDescription } from '../../src/core/ops/describe-kinesis.js';
import { hashKeyOf } from '../../src/core/transports/kinesis/hash-key.js';
import { createKinesisClient } from '../../src/core/transports/kinesis/kinesis-client.js';
import { type CliResult, startAgentctl } from '../support/cli.js';
import { startEfoServer } from '../support/kinesis-efo-server.js';
import { tempDir } from '../support/temp.js';
import { type Kinesalite, placeRecords, splitShard, startKinesalite } from './support/kinesalite.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** Runs the CLI to its end without blocking this process, which serves kinesalite. */
async function run(args: readonly string[]): Promise<CliResult> {
  const cli = startAgentctl(args, { cwd: tempDir('describe-kinesis-') });
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
  onTestFinished(() => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  });
  const result = await cli.done;
  clearTimeout(timer);
  return result;
}

const keys = Array.from({ length: 6 }, (_, i) => `customer-${i}`);

describe('agentctl describe on a Kinesis stream (kinesalite)', () => {
  it('Given a split stream, it shows the closed parent, its two open children, their ranges, and where each key goes', async () => {
    const admin = server.client();
    const stream = await server.createStream(1, 'describe');
    const uri = server.uri(stream);
    const [before] = await placeRecords(admin, stream, [{ key: 'customer-0', data: 'before the split' }]);
    await splitShard(admin, stream, before!.shard);
    const placed = await placeRecords(
      admin,
      stream,
      keys.map((key) => ({ key, data: key })),
    );

    const json = await run(['describe', uri, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const d = json.json<KinesisDescription>();
    expect(d).toMatchObject({ kind: 'kinesis', stream, status: 'ACTIVE', retentionHours: 24 });
    expect([d.openShards, d.closedShards]).toEqual([2, 1]);
    const [parent, ...children] = d.shards;
    expect(parent).toMatchObject({ shard: before!.shard, state: 'closed' });
    expect(parent!.sequences.end).toBeDefined();
    expect(parent!.children).toEqual(children.map((c) => c.shard));
    for (const child of children) {
      expect(child).toMatchObject({ state: 'open', parent: before!.shard, children: [] });
      expect(child.sequences.end).toBeUndefined();
    }
    // The children split the parent's range in two, end to end.
    expect(children[0]!.hashKeys.start).toBe(parent!.hashKeys.start);
    expect(BigInt(children[1]!.hashKeys.start)).toBe(BigInt(children[0]!.hashKeys.end) + 1n);
    expect(children[1]!.hashKeys.end).toBe(parent!.hashKeys.end);
    expect(d.consumers).toMatchObject({ listed: false });
    expect(d.consumers.listed === false && d.consumers.reason).toMatch(/ListStreamConsumers/);

    // Every key maps to the shard kinesalite put its record in; the parent held it before the split.
    expect(new Set(placed.map((p) => p.shard)).size).toBe(2);
    for (const [i, key] of keys.entries()) {
      const r = await run(['describe', uri, '--key', key, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<KinesisDescription>().key).toMatchObject({
        key,
        shard: placed[i]!.shard,
        before: [before!.shard],
      });
    }

    const text = await run(['describe', uri, '--key', 'customer-0']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/status\s+ACTIVE/);
    expect(text.stdout).toMatch(/retention\s+24 h/);
    expect(text.stdout).toMatch(/shards\s+2 open, 1 closed/);
    expect(text.stdout).toMatch(
      /consumers\s+not listed: the endpoint does not implement ListStreamConsumers/,
    );
    expect(text.stdout).toContain(`key "customer-0" (hash key ${hashKeyOf('customer-0')})`);
    expect(text.stdout).toContain(`→ ${placed[0]!.shard}; earlier records with it are in ${before!.shard}`);
    expect(text.stdout).toContain(`${before!.shard}  closed`);
    expect(text.stdout).toMatch(new RegExp(`children\\s+${children.map((c) => c.shard).join(', ')}`));
    expect(text.stdout).toMatch(/0\.00%–50\.00% of the key space/);
  }, 120_000);

  it('lists the stream’s enhanced fan-out consumers where the endpoint knows ListStreamConsumers', async () => {
    const efo = await startEfoServer({ kinesalite: server.endpoint, activationMs: 0 });
    onTestFinished(() => efo.close());
    const admin = server.client();
    const stream = await server.createStream(1, 'describe-efo');
    const arn = (await admin.send(new DescribeStreamSummaryCommand({ StreamName: stream })))
      .StreamDescriptionSummary!.StreamARN!;
    const viaEfo = createKinesisClient({ endpoint: efo.endpoint, region: 'us-east-1' });
    onTestFinished(() => viaEfo.destroy());
    await viaEfo.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'orders-efo' }));
    const uri = `kinesis://${stream}?region=us-east-1&endpoint=${encodeURIComponent(efo.endpoint)}`;

    const json = await run(['describe', uri, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json<KinesisDescription>().consumers).toEqual({
      listed: true,
      items: [expect.objectContaining({ name: 'orders-efo', status: 'ACTIVE' })],
    });
    const text = await run(['describe', uri]);
    expect(text.stdout).toMatch(/consumers\s+orders-efo \(ACTIVE\)/);
  }, 60_000);

  it('says that a stream that does not exist does not exist (exit 1), and refuses a URI without a stream (exit 2)', async () => {
    const missing = await run(['describe', server.uri('no-such-stream')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error: Kinesis stream "no-such-stream" .* does not exist/);
    expect(missing.stderr).toMatch(/try: create it/);

    const bad = await run(['describe', 'kinesis://?region=us-east-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/missing stream name/);

    const wrongFlag = await run(['describe', server.uri('x'), '--management-url', 'http://127.0.0.1:15672']);
    expect(wrongFlag.code).toBe(2);
    expect(wrongFlag.stderr).toMatch(/--management-url is for RabbitMQ sources/);
  }, 60_000);
});

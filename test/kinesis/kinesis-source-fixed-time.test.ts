import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { KinesisSource } from '../../src/core/sources/kinesis/kinesis-source.js';
import type { Fetch } from '../../src/core/sources/source.js';
import { instrument } from './support/instrument.js';
import { type Kinesalite, putRecords, startKinesalite } from './support/kinesalite.js';

const SHARD = 'shardId-000000000000';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** Real turns of the event loop until `done` holds (I/O with kinesalite goes on meanwhile). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * Whether `poll` answered without waiting: it either resolves, or goes to sleep on the fake clock (one
 * sleeper more than `sleeping`), whichever is seen first. Time never moves here, so a poll that waits for
 * the idle interval stays asleep.
 */
async function answeredAtOnce(
  polled: Promise<Fetch>,
  clock: FakeClock,
  sleeping: number,
): Promise<Fetch | 'waited'> {
  let answer: Fetch | undefined;
  void polled.then((fetch) => {
    answer = fetch;
  });
  await until(() => answer !== undefined || clock.pending > sleeping);
  return answer ?? 'waited';
}

describe('Kinesis source at the tip', () => {
  it('Given a shard that has just reached its tip, When polled, Then it says caught up at once instead of waiting for the idle interval; polled again while still caught up, it waits', async () => {
    const stream = await server.createStream(1, 'idle');
    const admin = server.client();
    const clock = new FakeClock();
    const source = new KinesisSource({ stream, client: server.client(), ownsClient: true, clock });
    onTestFinished(async () => {
      await source.close();
      admin.destroy();
    });
    await putRecords(admin, stream, [{ key: 'k', data: '{"n":1}' }]);
    await source.connect();
    await source.assign(new Map([[SHARD, { kind: 'earliest' }]]));

    // The record comes, then the reader asks again, finds nothing and sleeps its idle interval (the only
    // sleeper on the clock: time does not move, so it never calls again).
    const first = await source.poll(10);
    const messages = first.messages.length > 0 ? first.messages : (await source.poll(10)).messages;
    expect(messages).toHaveLength(1);
    await until(() => clock.pending === 1);

    expect(await answeredAtOnce(source.poll(10), clock, 1)).toEqual({
      messages: [],
      ended: [],
      caughtUp: true,
    });
    const again = source.poll(10);
    expect(await answeredAtOnce(again, clock, 1)).toBe('waited');
    await clock.advance(200);
    expect((await again).messages).toEqual([]);
  });

  it('Given an idle shard whose next GetRecords is under way, When the records before it were taken and the source polled, Then it says caught up at once: the last answer found the tip', async () => {
    const stream = await server.createStream(1, 'inflight');
    const admin = server.client();
    const client = server.client();
    const clock = new FakeClock();
    let getRecords = 0;
    let held: (() => void) | undefined;
    // The third GetRecords (an idle shard's next call) is held until the test lets it go.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && getRecords++ === 2)
          await new Promise<void>((resolve) => {
            held = resolve;
          });
        return next(args);
      },
      { step: 'initialize', name: 'holdThirdGetRecords' },
    );
    const source = new KinesisSource({ stream, client, ownsClient: true, clock });
    onTestFinished(async () => {
      held?.();
      await source.close();
      admin.destroy();
    });
    await putRecords(admin, stream, [{ key: 'k', data: '{"n":1}' }]);
    await source.connect();
    await source.assign(new Map([[SHARD, { kind: 'earliest' }]]));
    // The record, then an empty answer, then the idle interval (fake time) and the next call, held.
    await until(() => clock.pending === 1);
    await clock.advance(200);
    await until(() => held !== undefined);

    expect((await source.poll(10)).messages).toHaveLength(1);
    expect(await answeredAtOnce(source.poll(10), clock, 0)).toEqual({
      messages: [],
      ended: [],
      caughtUp: true,
    });
  });
});

describe('Kinesis source calls around reading', () => {
  it('Given a source connecting, When it has checked the stream, Then it returns the shards it listed meanwhile (ListShards sent before the check answered), for the consumer to start from without another listing', async () => {
    const stream = await server.createStream(2, 'listing');
    const client = server.client();
    const seen: string[] = [];
    const calls = instrument(client, (call) => {
      seen.push(`sent ${call.command}`);
      return () => seen.push(`answered ${call.command}`);
    });
    const source = new KinesisSource({ stream, client, ownsClient: true });
    onTestFinished(() => source.close());

    const listed = await source.connect();

    expect(listed?.map((s) => s.id)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    expect(calls.map((c) => c.command).sort()).toEqual(['DescribeStreamSummaryCommand', 'ListShardsCommand']);
    expect(seen.indexOf('sent ListShardsCommand')).toBeLessThan(
      seen.indexOf('answered DescribeStreamSummaryCommand'),
    );
  });

  it('Given a closed source, When described (the agent’s last heartbeat), Then it shows the shards last listed without calling Kinesis', async () => {
    const stream = await server.createStream(1, 'closed');
    const client = server.client();
    const calls = instrument(client);
    const source = new KinesisSource({ stream, client, ownsClient: false });
    onTestFinished(() => client.destroy());
    await source.connect();
    await source.partitions();
    await source.close();
    const before = calls.length;

    const described = await source.describe();

    expect(described.map((d) => d.partition)).toEqual(['shardId-000000000000']);
    expect(calls.length).toBe(before);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const event = (id: string, extra = '') =>
  `{"specversion":"1.0","id":"${id}","type":"order.created","source":"/shop"${extra}}`;

/** Every value of a local log topic, as bytes, in offset order. */
async function logValues(dir: string, topic: string): Promise<Buffer[]> {
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db'), readonly: true });
  try {
    const values: Buffer[] = [];
    const partitions = (await store.log.topic(topic))?.partitions ?? 0;
    for (let partition = 0; partition < partitions; partition++) {
      for (const entry of await store.log.read(topic, partition, -1, 10_000))
        values.push(Buffer.from(entry.value));
    }
    return values;
  } finally {
    await store.close();
  }
}

/** An agent whose one process records every event it ran in executions.log. */
function recordingAgent(dir: string): void {
  writeConfig(
    dir,
    `{
      name: 'orders',
      source: 'local:events',
      consumer: { localPartitions: 1 },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
      processes: [defineProcess({ name: 'ship', publish: false, steps: [{ name: 'ship', run: ({ event }) => {
        appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
      } }] })],
    }`,
    `import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';`,
  );
}

describe('agentctl publish --raw', () => {
  it('Given lines with invalid UTF-8, a CR, blanks and an empty line, When published raw, Then each line goes out byte for byte, the empty line is counted as skipped, and the undecodable event is parked, not run', async () => {
    const dir = tempDir('publish-raw-');
    recordingAgent(dir);
    const lines = [
      Buffer.from(event('evt-1')),
      Buffer.concat([
        Buffer.from(event('evt-bad', ',"data":{"name":"')),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
      Buffer.from(''),
      Buffer.from('   '),
      Buffer.from(`${event('evt-crlf')}\r`),
      Buffer.from(`  ${event('evt-3')}  `),
    ];
    writeFileSync(
      join(dir, 'events.ndjson'),
      Buffer.concat([...lines.flatMap((l) => [l, Buffer.from('\n')])]),
    );

    const published = agentctl(
      ['publish', '--raw', '--file', 'events.ndjson', '--source', 'local:events', '--json'],
      {
        cwd: dir,
      },
    );

    expect(published.code, published.stderr).toBe(0);
    expect(published.json()).toMatchObject({ published: 5, skipped: { emptyLines: 1 } });
    expect(published.stderr).toContain('skipped 1 empty line');
    const values = await logValues(dir, 'events');
    expect(values.map((v) => v.toString('hex'))).toEqual(
      lines.filter((l) => l.length > 0).map((l) => l.toString('hex')),
    );

    const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
    expect(consumed.code, consumed.stderr).toBe(0);
    const ran = readFileSync(join(dir, 'executions.log'), 'utf8').split('\n').filter(Boolean);
    expect(ran.sort()).toEqual(['evt-1', 'evt-3', 'evt-crlf']);
    const failed = agentctl(['failed', 'list', '--json'], { cwd: dir }).json<
      { reason: string; error: string }[]
    >();
    expect(failed.map((f) => f.reason)).toEqual(['decode', 'decode']);
    expect(failed[0]?.error).toMatch(/UTF-8/);
  });

  it('Given 1,044 lines of which two are empty, When published raw without --json, Then it says 1042 published and 2 empty lines skipped', () => {
    const dir = tempDir('publish-raw-');
    const body = Array.from({ length: 1_044 }, (_, i) =>
      i === 10 || i === 500 ? '' : event(`evt-${i}`),
    ).join('\n');
    writeFileSync(join(dir, 'events.ndjson'), `${body}\n`);

    const published = agentctl(['publish', '--raw', '--file', '-', '--source', 'local:events'], {
      cwd: dir,
      input: readFileSync(join(dir, 'events.ndjson'), 'utf8'),
    });

    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/^published 1042 events to local:events/);
    expect(published.stderr).toMatch(/skipped 2 empty lines \(lines 11, 501\)/);
  });
});

describe('agentctl consume of the local log, read as text', () => {
  it('Given events with U+FFFD, accents and an emoji, and payloads that are not UTF-8, When consumed, Then the valid ones run and the others are parked with their exact bytes', async () => {
    const dir = tempDir('consume-text-');
    recordingAgent(dir);
    const bad = (id: string, bytes: number[]) =>
      Buffer.concat([Buffer.from(event(id, ',"data":{"name":"')), Buffer.from(bytes), Buffer.from('"}')]);
    const lines = [
      Buffer.from(event('evt-fffd', ',"data":{"name":"\uFFFD"}')),
      Buffer.from(event('evt-accents', ',"data":{"name":"Zoë 😀"}')),
      bad('evt-ff', [0xff]),
      bad('evt-surrogate', [0xed, 0xa0, 0x80]),
      bad('evt-truncated', [0xe2, 0x82]),
    ];
    writeFileSync(join(dir, 'events.ndjson'), Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    const published = agentctl(['publish', '--raw', '--file', 'events.ndjson', '--source', 'local:events'], {
      cwd: dir,
    });
    expect(published.code, published.stderr).toBe(0);

    const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });

    expect(consumed.code, consumed.stderr).toBe(0);
    const ran = readFileSync(join(dir, 'executions.log'), 'utf8').split('\n').filter(Boolean);
    expect(ran.sort()).toEqual(['evt-accents', 'evt-fffd']);
    const failed = agentctl(['failed', 'list', '--json'], { cwd: dir }).json<
      { id: number; reason: string }[]
    >();
    expect(failed.map((f) => f.reason)).toEqual(['decode', 'decode', 'decode']);
    const parked = failed.map((f) =>
      agentctl(['failed', 'show', String(f.id), '--json'], { cwd: dir }).json<{ payloadBase64: string }>(),
    );
    expect(parked.map((p) => Buffer.from(p.payloadBase64, 'base64').toString('hex')).sort()).toEqual(
      lines
        .slice(2)
        .map((l) => l.toString('hex'))
        .sort(),
    );
  });
});

describe('agentctl publish (checked)', () => {
  it('Given an event with invalid UTF-8, When published without --raw, Then it is refused with its line and nothing is published', async () => {
    const dir = tempDir('publish-checked-');
    const bad = Buffer.concat([
      Buffer.from(event('evt-bad', ',"data":{"name":"')),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    writeFileSync(
      join(dir, 'events.ndjson'),
      Buffer.concat([Buffer.from(`${event('evt-1')}\n`), bad, Buffer.from('\n')]),
    );

    const published = agentctl(['publish', '--file', 'events.ndjson', '--source', 'local:events'], {
      cwd: dir,
    });

    expect(published.code).toBe(2);
    expect(published.stderr).toMatch(/line 2 is not valid UTF-8/);
    expect(existsSync(join(dir, '.agentctl/agent.db')) ? await logValues(dir, 'events') : []).toEqual([]);
  });

  it('Given neither --file nor --type, When publish runs, Then it says what to give (exit 2) and creates no store', () => {
    const dir = tempDir();
    const result = agentctl(['publish', '--source', 'local:events'], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nothing to publish: give --file FILE \(or - for stdin\), or --type TYPE/);
    expect(existsSync(join(dir, '.agentctl'))).toBe(false);
  });

  it('Given --file naming a file that does not exist, When published, Then it says which file it cannot read (exit 2, not an unexpected error) and creates no store', () => {
    const dir = tempDir();
    const result = agentctl(['publish', '--file', 'missing.ndjson', '--raw', '--source', 'local:events'], {
      cwd: dir,
    });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read --file missing\.ndjson: ENOENT: no such file or directory/);
    expect(result.stderr).not.toMatch(/unexpected error/);
    expect(existsSync(join(dir, '.agentctl'))).toBe(false);
  });

  it('Given --type with an empty value, When published, Then it is refused (exit 2) saying so, and nothing is published', async () => {
    const dir = tempDir();
    const result = agentctl(['publish', '--type', '', '--source', 'local:events'], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"type" must be a non-empty string/);
    expect(result.stderr).toMatch(/try: /);
    expect(existsSync(join(dir, '.agentctl/agent.db')) ? await logValues(dir, 'events') : []).toEqual([]);
  });

  it('Given --type and --data, When published, Then the log holds that one CloudEvent, keyed by its subject', async () => {
    const dir = tempDir();
    const result = agentctl(
      [
        'publish',
        '--type',
        'order.created',
        '--subject',
        'o-1',
        '--data',
        '{"n":1}',
        '--source',
        'local:events',
      ],
      { cwd: dir },
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^published 1 event to local:events \(partitions \d:1\)/);
    const [value, ...rest] = await logValues(dir, 'events');
    expect(rest).toEqual([]);
    expect(JSON.parse(value!.toString())).toMatchObject({
      specversion: '1.0',
      type: 'order.created',
      subject: 'o-1',
      data: { n: 1 },
    });
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

interface ItemJson {
  id: number;
  status: string;
  reason: string;
  kind: string;
  rule?: string;
  process?: string;
  eventId?: string;
  eventType?: string;
  attempts: number;
  error: string;
  history: { at: number; error: string; via: string }[];
  payload?: string;
  payloadBase64?: string;
}

/** Orders whose data says `fragile` fail (FatalError) while `broken.flag` exists in the working dir. */
const PREAMBLE = `import { appendFileSync, existsSync } from 'node:fs';\nimport { join } from 'node:path';`;
const CONFIG = `{
  name: 'orders',
  consumer: { localPartitions: 1 },
  publisher: { sink: 'none' },
  rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
  processes: [
    defineProcess({
      name: 'ship',
      steps: [{
        name: 'ship',
        run: ({ event }) => {
          if (event.data?.fragile && existsSync(join(process.cwd(), 'broken.flag'))) {
            throw new FatalError('warehouse is down');
          }
          appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
        },
      }],
    }),
  ],
}`;

function order(n: number, fragile = false): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `evt-${n}`,
    type: 'order.created',
    source: '/shop',
    data: { n, fragile },
  });
}

/** A project whose consume parked two process failures (evt-2, evt-4) and one undecodable payload. */
async function givenParkedFailures(): Promise<string> {
  const dir = tempDir();
  writeConfig(dir, CONFIG, PREAMBLE);
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db') });
  await store.log.ensureTopic('events', 1);
  const values = [order(1), order(2, true), order(3), order(4, true), 'not json'];
  await store.log.append(
    'events',
    values.map((v) => ({ value: new TextEncoder().encode(v) })),
  );
  await store.close();
  writeFileSync(join(dir, 'broken.flag'), '');
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  return dir;
}

/** Items in a stable order (ids follow the order in which consume parked them). */
function byEvent(items: readonly ItemJson[]): ItemJson[] {
  return [...items].sort((a, b) => ((a.eventId ?? 'zzz') < (b.eventId ?? 'zzz') ? -1 : 1));
}

function find(items: readonly ItemJson[], eventId: string): ItemJson {
  const item = items.find((i) => i.eventId === eventId);
  expect(item, `item of ${eventId}`).toBeDefined();
  return item!;
}

function list(dir: string, ...args: string[]): ItemJson[] {
  const result = agentctl(['failed', 'list', '--json', ...args], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return result.json<ItemJson[]>();
}

describe('agentctl failed', () => {
  it('list --json gives every parked message with its reason, and its payload as text or base64', async () => {
    const dir = await givenParkedFailures();

    const items = byEvent(list(dir));

    expect(items.map((i) => [i.reason, i.eventId])).toEqual([
      ['process', 'evt-2'],
      ['process', 'evt-4'],
      ['decode', undefined],
    ]);
    const [evt2, , garbage] = items;
    expect(evt2).toMatchObject({
      status: 'pending',
      kind: 'event',
      rule: 'ship-order',
      process: 'ship',
      attempts: 1,
    });
    expect(evt2!.error).toContain('warehouse is down');
    expect(JSON.parse(evt2!.payload!)).toMatchObject({ id: 'evt-2', data: { fragile: true } });
    expect(garbage!.payload).toBeUndefined();
    expect(Buffer.from(garbage!.payloadBase64!, 'base64').toString()).toBe('not json');
    expect(Object.keys(evt2!)).not.toContain('raw');
  });

  it('list filters by reason, search text and status, and prints a table for people', async () => {
    const dir = await givenParkedFailures();

    expect(list(dir, '--reason', 'decode').map((i) => i.reason)).toEqual(['decode']);
    expect(list(dir, '--search', 'EVT-4').map((i) => i.eventId)).toEqual(['evt-4']);
    expect(list(dir, '--rule', 'ship-order')).toHaveLength(2);
    expect(list(dir, '--status', 'replayed')).toEqual([]);
    expect(list(dir, '--limit', '1')).toHaveLength(1);
    const table = agentctl(['failed', 'list'], { cwd: dir });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^\s*ID\s+REASON\s+RULE\/PROCESS\s+EVENT\s+ATTEMPTS\s+LAST FAILURE\s+ERROR/);
    expect(table.stdout).toContain('ship-order/ship');
    expect(table.stdout).toContain('order.created/evt-2');
  });

  it('show prints every field, the failure history and the payload pretty-printed', async () => {
    const dir = await givenParkedFailures();
    const evt2 = find(list(dir), 'evt-2');

    const shown = agentctl(['failed', 'show', String(evt2!.id)], { cwd: dir });
    const json = agentctl(['failed', 'show', String(evt2!.id), '--json'], { cwd: dir }).json<ItemJson>();

    expect(shown.code).toBe(0);
    for (const text of [
      'status:',
      'pending',
      'ship-order',
      'evt-2',
      'local:events',
      'history (1):',
      'consume',
    ])
      expect(shown.stdout).toContain(text);
    expect(shown.stdout).toContain('"fragile": true');
    expect(json).toMatchObject({ id: evt2!.id, eventId: 'evt-2', history: [{ via: 'consume' }] });
  });

  it('show of an unknown id says it is not found and exits 2', async () => {
    const dir = await givenParkedFailures();

    const result = agentctl(['failed', 'show', '999'], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: failed message 999 not found\n/);
  });

  it('discard marks items discarded after confirmation; --all --reason discards a whole reason', async () => {
    const dir = await givenParkedFailures();
    const evt2 = find(list(dir), 'evt-2');

    const unconfirmed = agentctl(['failed', 'discard', String(evt2!.id)], { cwd: dir });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes');
    expect(list(dir)).toHaveLength(3);

    const one = agentctl(['failed', 'discard', String(evt2!.id), '--yes'], { cwd: dir });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('discarded 1 item');
    expect(byEvent(list(dir)).map((i) => i.eventId)).toEqual(['evt-4', undefined]);
    expect(list(dir, '--status', 'discarded').map((i) => i.eventId)).toEqual(['evt-2']);

    const all = agentctl(['failed', 'discard', '--all', '--reason', 'decode', '--yes', '--json'], {
      cwd: dir,
    });
    expect(all.json()).toMatchObject({ discarded: 1 });
    expect(list(dir).map((i) => i.eventId)).toEqual(['evt-4']);
  });

  it('discard needs ids or --all, and names ids that do not exist', async () => {
    const dir = await givenParkedFailures();

    const none = agentctl(['failed', 'discard'], { cwd: dir });
    const unknown = agentctl(['failed', 'discard', '998', '999', '--yes'], { cwd: dir });

    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('error: give the ids of the items to discard, or --all');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('failed messages 998, 999 not found');
    expect(list(dir)).toHaveLength(3);
  });

  it('export writes one JSON item per line, to stdout or to --output', async () => {
    const dir = await givenParkedFailures();
    const evt2 = find(list(dir), 'evt-2');
    agentctl(['failed', 'discard', String(evt2!.id), '--yes'], { cwd: dir });

    const pending = agentctl(['failed', 'export'], { cwd: dir });
    const any = agentctl(['failed', 'export', '--status', 'any', '--output', 'failed.ndjson'], { cwd: dir });

    expect(pending.code, pending.stderr).toBe(0);
    expect(byEvent(pending.lines<ItemJson>()).map((i) => i.eventId)).toEqual(['evt-4', undefined]);
    expect(any.code, any.stderr).toBe(0);
    expect(any.stdout).toBe('');
    expect(any.stderr).toContain('exported 3 items to failed.ndjson');
    const lines = readFileSync(join(dir, 'failed.ndjson'), 'utf8').trimEnd().split('\n');
    const items = lines.map((l) => JSON.parse(l) as ItemJson);
    expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort((a, b) => a - b));
    expect(byEvent(items).map((i) => i.status)).toEqual(['discarded', 'pending', 'pending']);
    expect(JSON.parse(find(items, 'evt-2').payload!)).toMatchObject({ id: 'evt-2' });
  });
});

describe('--where (CEL) picks failed items by any field or the event itself', () => {
  it('narrows list, export and discard --all; an item the expression fails on does not match, and is counted', {
    timeout: 180_000,
  }, async () => {
    const dir = await givenParkedFailures();
    // evt-2 and evt-4 are process failures of CloudEvents; the third item's bytes are not JSON.
    expect(list(dir, '--where', 'event.data.n == 4').map((i) => i.eventId)).toEqual(['evt-4']);
    expect(
      byEvent(list(dir, '--where', 'reason == "process" && attempts >= 1 && step == "ship"')).map(
        (i) => i.eventId,
      ),
    ).toEqual(['evt-2', 'evt-4']);
    expect(list(dir, '--where', 'event == null').map((i) => i.reason)).toEqual(['decode']);
    expect(list(dir, '--where', 'payload.startsWith("not")').map((i) => i.reason)).toEqual(['decode']);
    expect(
      list(dir, '--where', 'meta.partition == "0" && meta.position == "1"').map((i) => i.eventId),
    ).toEqual(['evt-2']);

    // The undecodable item has no event.data: it does not match, and the command says so on stderr.
    const lenient = agentctl(['failed', 'list', '--json', '--where', 'event.data.n > 1'], { cwd: dir });
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(byEvent(lenient.json<ItemJson[]>()).map((i) => i.eventId)).toEqual(['evt-2', 'evt-4']);
    expect(lenient.stderr).toContain(
      'note: --where could not be evaluated on 1 failed item (not matched): No such key: data',
    );

    const exported = agentctl(['failed', 'export', '--where', 'eventId == "evt-2"'], { cwd: dir });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.lines<ItemJson>().map((i) => i.eventId)).toEqual(['evt-2']);

    const discarded = agentctl(
      ['failed', 'discard', '--all', '--where', 'has(event.data) && event.data.n == 2', '--yes', '--json'],
      { cwd: dir },
    );
    expect(discarded.code, discarded.stderr).toBe(0);
    expect(list(dir, '--status', 'discarded').map((i) => i.eventId)).toEqual(['evt-2']);
    expect(list(dir)).toHaveLength(2);
  });

  it('refuses a bad expression at once with where it is wrong (exit 2), before touching the store', async () => {
    const dir = tempDir();
    for (const [expression, expected] of [
      ['reason == "process" &&', /not a valid CEL filter at column 23: Unexpected token: EOF/],
      ['reasn == "process"', /at column 1: Unknown variable: reasn/],
      ['size(payload)', /gives an int, not true or false/],
      ['"x" + reason', /gives a string, not true or false/],
    ] as const) {
      const result = agentctl(['failed', 'list', '--where', expression], { cwd: dir });
      expect(result.code, `${expression}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(expected);
    }
    const all = agentctl(['failed', 'list', '--where', 'reasn == 1'], { cwd: dir });
    // The whole message: the expression with a caret under the fault, and the variables there are.
    expect(all.stderr).toContain('reasn == 1');
    expect(all.stderr).toContain('^');
    expect(all.stderr).toContain('variables of a failed item: event, payload, meta');
    expect(agentctl(['failed', 'discard', '12', '--where', 'true'], { cwd: dir }).stderr).toContain(
      '--where goes with --all',
    );
  });
});

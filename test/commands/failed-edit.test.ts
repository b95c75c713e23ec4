import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

interface ItemJson {
  id: number;
  status: string;
  reason: string;
  eventId?: string;
  eventType?: string;
  attempts: number;
  history: { at: number; error: string; via: string; by?: string; previousBase64?: string }[];
  payload?: string;
}

/** The scripted editor: EDIT_FN rewrites the file it is given (test/fixtures/edit-file.mjs). */
const EDITOR = `${process.execPath} ${resolve(import.meta.dirname, '../fixtures/edit-file.mjs')}`;
function editor(fn: string, extra: Record<string, string> = {}): Record<string, string> {
  return { VISUAL: '', EDITOR, EDIT_FN: fn, ...extra };
}
/** An EDIT_FN that parses the event the editor opens on, changes it with `body` (a statement on `e`), saves it. */
const onEvent = (body: string) =>
  `(t) => { const e = JSON.parse(t); ${body}; return JSON.stringify(e, null, 2); }`;

/** Orders whose data says `fragile` fail (FatalError) while `broken.flag` exists; each run logs what it got. */
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
          appendFileSync(join(process.cwd(), 'executions.log'), JSON.stringify({ id: event.id, data: event.data }) + '\\n');
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

interface Project {
  readonly dir: string;
  cli(args: readonly string[], env?: Record<string, string>): ReturnType<typeof agentctl>;
  items(): ItemJson[];
  item(eventId: string): ItemJson;
  /** What the process ran with, in order. */
  executions(): { id: string; data: { n: number; fragile: boolean; [k: string]: unknown } }[];
}

/** A project whose consume parked evt-2 and evt-4 (fragile, the warehouse down); `db` is the store (default SQLite). */
function givenParkedOrders(db?: string): Project {
  const dir = tempDir('failed-edit-');
  writeConfig(dir, CONFIG, PREAMBLE);
  writeFileSync(join(dir, 'events.ndjson'), [order(1), order(2, true), order(3), order(4, true)].join('\n'));
  writeFileSync(join(dir, 'broken.flag'), '');
  const dbArgs = db === undefined ? [] : ['--db', db];
  const cli = (args: readonly string[], env: Record<string, string> = {}) =>
    agentctl([...args, ...dbArgs], { cwd: dir, env });
  expect(cli(['publish', '--file', 'events.ndjson']).code).toBe(0);
  const consumed = cli(['consume', '--until-empty']);
  expect(consumed.code, consumed.stderr).toBe(0);
  const items = () => cli(['failed', 'list', '--status', 'any', '--json']).json<ItemJson[]>();
  const log = join(dir, 'executions.log');
  return {
    dir,
    cli,
    items,
    item: (eventId) => items().find((i) => i.eventId === eventId)!,
    executions: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l))
        : [],
  };
}

function editAndReplay(p: Project): void {
  const parked = p.item('evt-2');
  const seenFile = join(p.dir, 'seen.json');

  const edited = p.cli(
    ['failed', 'edit', String(parked.id)],
    editor(onEvent('e.data.fragile = false; e.data.note = "fixed by hand"'), { EDIT_SEEN: seenFile }),
  );

  expect(edited.code, edited.stderr).toBe(0);
  expect(edited.stdout).toContain('~ data.fragile: true → false');
  expect(edited.stdout).toContain('+ data.note: "fixed by hand"');
  const seen = JSON.parse(readFileSync(seenFile, 'utf8'));
  expect(JSON.parse(seen.text)).toEqual(JSON.parse(order(2, true)));
  expect(seen.text).toContain('\n  "data": {\n'); // pretty JSON
  expect([seen.fileMode, seen.dirMode]).toEqual(['600', '700']);
  expect(existsSync(seen.path)).toBe(false);

  const item = p.item('evt-2');
  expect(JSON.parse(item.payload!).data).toEqual({ n: 2, fragile: false, note: 'fixed by hand' });
  expect(item).toMatchObject({ status: 'pending', attempts: parked.attempts });
  const edit = item.history.at(-1)!;
  expect(edit).toMatchObject({ via: 'edit', by: expect.stringContaining('@') });
  expect(Buffer.from(edit.previousBase64!, 'base64').toString()).toBe(parked.payload);

  // The warehouse is still down: only the edited event (fragile: false) goes through; evt-4 fails again.
  const replay = p.cli(['replay', '--failed', '--yes']);
  expect(replay.code, replay.stderr).toBe(3);
  expect(p.executions().filter((e) => e.id === 'evt-2')).toEqual([
    { id: 'evt-2', data: { n: 2, fragile: false, note: 'fixed by hand' } },
  ]);
  expect(p.item('evt-2').status).toBe('replayed');
  expect(p.item('evt-4').status).toBe('pending');
}

describe('agentctl failed edit', () => {
  it('Given a parked event, When edited in $EDITOR and replayed, Then the process runs the edited data and the original is kept in the history', () => {
    const p = givenParkedOrders();
    editAndReplay(p);
    const id = String(p.item('evt-2').id);

    const shown = p.cli(['failed', 'show', id]);
    expect(shown.stdout).toMatch(/edited:\s+\S+ \S+ by \S+@\S+; the original: failed show \d+ --original/);
    expect(shown.stdout).toContain('"note": "fixed by hand"');
    const original = p.cli(['failed', 'show', id, '--original']);
    expect(original.code, original.stderr).toBe(0);
    expect(original.stdout).toContain('original payload, as parked');
    expect(original.stdout).toContain('"fragile": true');
    expect(original.stdout).not.toContain('fixed by hand');
    expect(p.cli(['failed', 'show', id, '--original', '--raw']).stdout).toBe(order(2, true));
  }, 300_000);

  it('Given an edit that is not a valid CloudEvent, When saved, Then every problem is listed, exit 2, the item is unchanged and the text is kept', () => {
    const p = givenParkedOrders();
    const parked = p.item('evt-2');

    const refused = p.cli(
      ['failed', 'edit', String(parked.id)],
      editor(onEvent('delete e.type; e.source = ""; e.specversion = 1; e.time = "yesterday"')),
    );

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not a valid CloudEvent; nothing changed');
    for (const problem of [
      '"specversion" must be a non-empty string',
      '"source" must be a non-empty string',
      '"type" is missing',
      '"time" must be an RFC 3339 timestamp',
    ])
      expect(refused.stderr).toContain(problem);
    const kept = /your edit is kept in (\S+)/.exec(refused.stderr)![1]!;
    expect(JSON.parse(readFileSync(kept, 'utf8')).time).toBe('yesterday');
    expect(p.item('evt-2')).toEqual(parked);

    const syntax = p.cli(['failed', 'edit', String(parked.id)], editor('(t) => t.slice(0, -5)'));
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain('not valid JSON');

    // Taken up again from the kept file: fixed, it is saved.
    const fixed = p.cli(
      ['failed', 'edit', String(parked.id), '--from', kept],
      editor(onEvent('e.type = "order.created"; e.source = "/shop"; e.specversion = "1.0"; delete e.time')),
    );
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(p.item('evt-2').history.at(-1)!.via).toBe('edit');
  }, 300_000);

  it('Given --patch on one item, Then the merge patch is applied (null removes a field) and --dry-run only shows it', () => {
    const p = givenParkedOrders();
    const id = String(p.item('evt-2').id);
    const patch = JSON.stringify({ data: { fragile: null, coupon: 'SAVE10' } });

    const dry = p.cli(['failed', 'edit', id, '--patch', patch, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('- data.fragile: true');
    expect(dry.stdout).toContain('+ data.coupon: "SAVE10"');
    expect(dry.stdout).toContain('dry run, nothing changed');
    expect(p.item('evt-2').history).toHaveLength(1);

    const done = p.cli(['failed', 'edit', id, '--patch', patch, '--json']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.json()).toMatchObject({ edited: 1, ids: [Number(id)] });
    expect(JSON.parse(p.item('evt-2').payload!).data).toEqual({ n: 2, coupon: 'SAVE10' });

    const again = p.cli(['failed', 'edit', id, '--patch', patch]);
    expect(again.stdout).toContain('edited 0 items (1 unchanged)');
    const bad = p.cli(['failed', 'edit', id, '--patch', '{"id":null}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"id" is missing');
    expect(p.cli(['failed', 'edit', id, '--patch', '{nope']).stderr).toContain('--patch is not valid JSON');
  }, 300_000);

  it('Given --where and --patch, Then it asks, edits every item selected, says how many, and replay runs them all edited', () => {
    const p = givenParkedOrders();
    const args = [
      'failed',
      'edit',
      '--where',
      'event.data.fragile == true',
      '--patch',
      '{"data":{"fragile":false}}',
    ];

    const unconfirmed = p.cli(args);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('edit 2 pending failed items? — not confirmed');
    expect(p.items().every((i) => i.history.length === 1)).toBe(true);

    const done = p.cli([...args, '--yes']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('edited 2 items');
    expect(p.cli(['replay', '--failed', '--yes']).code).toBe(0);
    expect(
      p
        .executions()
        .filter((e) => e.data.n % 2 === 0)
        .map((e) => e.id)
        .sort(),
    ).toEqual(['evt-2', 'evt-4']);
  }, 300_000);

  it('Given an item that is not pending, not JSON, or not there, Then edit refuses with exit 2 and changes nothing', async () => {
    const p = givenParkedOrders();
    const id = String(p.item('evt-2').id);
    expect(p.cli(['failed', 'discard', id, '--yes']).code).toBe(0);

    const discarded = p.cli(['failed', 'edit', id, '--patch', '{}']);
    expect(discarded.code).toBe(2);
    expect(discarded.stderr).toContain('is discarded: only pending items can be edited');
    expect(p.cli(['failed', 'edit', '999', '--patch', '{}']).code).toBe(2);
    expect(p.cli(['failed', 'edit', '--patch', '{}']).stderr).toContain('give the id of the item to edit');
    const failing = p.cli(
      ['failed', 'edit', String(p.item('evt-4').id)],
      editor('(t) => t', { EDIT_EXIT: '1' }),
    );
    expect(failing.code).toBe(2);
    expect(failing.stderr).toContain('exited with status 1: nothing changed');
    expect(p.item('evt-4').history).toHaveLength(1);
  }, 300_000);

  it('Given an undecodable payload, When edited with --raw into an event, Then replay runs it; without --raw it says to use --raw', async () => {
    const p = givenParkedOrders();
    const store = await openSqliteStore({ path: join(p.dir, '.agentctl/agent.db') });
    await store.log.append('events', [{ value: new TextEncoder().encode('order 5, not json') }]);
    await store.close();
    expect(p.cli(['consume', '--until-empty']).code).toBe(0);
    const bad = p.items().find((i) => i.reason === 'decode')!;

    const asEvent = p.cli(['failed', 'edit', String(bad.id)], editor('(t) => t'));
    expect(asEvent.code).toBe(2);
    expect(asEvent.stderr).toContain('not JSON');
    expect(asEvent.stderr).toContain('--raw');

    const raw = p.cli(
      ['failed', 'edit', String(bad.id), '--raw'],
      editor(`(t) => t === 'order 5, not json\\n' ? ${JSON.stringify(order(5))} + '\\n' : 'unexpected'`),
    );
    expect(raw.code, raw.stderr).toBe(0);
    expect(p.cli(['failed', 'show', String(bad.id), '--raw']).stdout).toBe(order(5));
    expect(p.cli(['replay', '--failed', '--yes']).code).toBe(3); // evt-2 and evt-4 fail again
    expect(p.executions().map((e) => e.id)).toContain('evt-5');
    expect(p.cli(['failed', 'show', String(bad.id), '--json']).json<ItemJson>().status).toBe('replayed');
  }, 300_000);
});

const available = await postgresAvailable();
const schemas: string[] = [];
describe.skipIf(!available)(
  serviceSuite('agentctl failed edit, PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given a PostgreSQL store, When an item is edited in $EDITOR and replayed, Then the process runs the edited data and the original is kept', () => {
      const schema = `agentctl_edit_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const p = givenParkedOrders(`${PG_URL}?schema=${schema}`);
      editAndReplay(p);
      const original = p.cli(['failed', 'show', String(p.item('evt-2').id), '--original', '--raw']);
      expect(original.stdout).toBe(order(2, true));
    }, 300_000);
  },
);

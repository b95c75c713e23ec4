import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios, until } from './support.js';
import { inTerminal } from './terminal.js';

const { readme } = scenarios('edit');

interface Item {
  id: number;
  status: string;
  payload?: string;
  history: { via: string; by?: string; previousBase64?: string }[];
}

/** The scripted editor of test/fixtures/edit-file.mjs: EDIT_FN rewrites the file it is given. */
const EDITOR = `${process.execPath} ${resolve(import.meta.dirname, '../fixtures/edit-file.mjs')}`;

function order(i: number, region: string): string {
  return JSON.stringify({
    specversion: '1.0',
    id: `evt-${i}`,
    source: '/orders',
    type: 'order.paid',
    data: { orderId: `order-${i}`, amount: i, region, coupon: 'SPRING' },
  });
}

describe('README: editing a parked event before replay', () => {
  it('Given parked orders, the documented edit commands change them, keep the original, and replay runs the edit', async () => {
    const p = project('e2e-edit-');
    writeOrdersAgent(p.dir);
    // ids 1–41: lines that are not JSON (decode); ids 42–46: order.paid while billing is down (process).
    writeFileSync(join(p.dir, 'junk.ndjson'), Array.from({ length: 41 }, (_, i) => `junk ${i}`).join('\n'));
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'orders.ndjson'), [1, 2, 3, 4, 5].map((i) => order(i, 'us')).join('\n'));
    expectExit(
      await p.run(
        'agentctl publish --file junk.ndjson --raw && agentctl consume --until-empty && agentctl publish --file orders.ndjson && agentctl consume --until-empty',
      ),
      0,
    );
    const item = async (id: number) => {
      const r = await p.run(`agentctl failed show ${id} --json`);
      expectExit(r, 0);
      return JSON.parse(r.stdout) as Item;
    };
    const data = async (id: number) => JSON.parse((await item(id)).payload!).data;
    expect(await data(42)).toMatchObject({ orderId: 'order-1', region: 'us' });

    const editor = (fn: string) => ({ env: { VISUAL: '', EDITOR, EDIT_FN: fn } });
    const inEditor = await p.run(
      readme('agentctl failed edit 42'),
      editor('(t) => t.replace(\'"amount": 1,\', \'"amount": 10,\')'),
    );
    expectExit(inEditor, 0);
    expect(inEditor.stdout).toContain('~ data.amount: 1 → 10');
    expect(await data(42)).toMatchObject({ amount: 10 });

    const raw = await p.run(
      readme('agentctl failed edit 42 --raw'),
      editor('(t) => t.replace(\'"amount":10\', \'"amount":11\')'),
    );
    expectExit(raw, 0);
    expect(await data(42)).toMatchObject({ amount: 11 });

    const patch = await p.run(
      readme(`agentctl failed edit 42 --patch '{"data":{"region":"eu-west-1","coupon":null}}'`),
    );
    expectExit(patch, 0);
    expect(await data(42)).toEqual({ orderId: 'order-1', amount: 11, region: 'eu-west-1' });

    const dry = await p.run(
      readme(
        `agentctl failed edit --where 'event.data.region == "us"' --patch '{"data":{"region":"us-east-1"}}' --dry-run`,
      ),
    );
    expectExit(dry, 0);
    expect(dry.stdout).toContain('~ data.region: "us" → "us-east-1"');
    expect(dry.stdout).toContain('would edit 4 items');
    expect(await data(43)).toMatchObject({ region: 'us' });
    const bulk = await p.run(
      readme(
        `agentctl failed edit --where 'event.data.region == "us"' --patch '{"data":{"region":"us-east-1"}}' --yes`,
      ),
    );
    expectExit(bulk, 0);
    expect(bulk.stdout).toContain('edited 4 items');
    for (const id of [43, 44, 45, 46]) expect(await data(id)).toMatchObject({ region: 'us-east-1' });

    const original = await p.run(readme('agentctl failed show 42 --original'));
    expectExit(original, 0);
    expect(original.stdout).toContain('"region": "us"');
    expect(original.stdout).toContain('"amount": 1,');
    const history = (await item(42)).history.filter((h) => h.via === 'edit');
    expect(history).toHaveLength(3);
    expect(Buffer.from(history[0]!.previousBase64!, 'base64').toString()).toBe(order(1, 'us'));

    await p.run('rm billing.down');
    const replay = await p.run(readme('agentctl replay --failed --id 42 --yes'));
    expectExit(replay, 0);
    expect((await item(42)).status).toBe('replayed');
    expect((await item(43)).status).toBe('pending');
  }, 400_000);

  it('`tui`: e on a failed message opens $EDITOR, takes the console back, and the edit is saved and said on the status line', async () => {
    const p = project('e2e-edit-tui-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(3));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    // The tmux server, and so the console, gets the project's environment: the scripted editor.
    Object.assign(p.env, { VISUAL: '', EDITOR, EDIT_FN: `(t) => t.replace('"amount": 3', '"amount": 300')` });

    const tui = await inTerminal(p, 'agentctl tui');
    try {
      await tui.waitFor(/Failed\s+3 pending/);
      await tui.keys('4');
      await tui.waitFor(/^› +3 +process /m);
      await tui.keys('e');
      const after = await tui.waitFor(/edited failed message 3 \(1 change\): r replays the edit/);
      expect(after).toMatch(/^› +3 +process /m);
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
    } finally {
      await tui.close();
    }
    const shown = await p.run('agentctl failed show 3 --json');
    expectExit(shown, 0);
    expect(JSON.parse((JSON.parse(shown.stdout) as Item).payload!).data).toMatchObject({ amount: 300 });
  }, 400_000);
});

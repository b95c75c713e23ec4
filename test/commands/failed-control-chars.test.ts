import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, BIN, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const ESC_CLEAR = '\u001b[2J';
const RLO = '\u202e';
const TYPE = `order${ESC_CLEAR}${RLO}created`;
/** Control characters that reach a terminal raw: ESC, RLO, BEL, CSI (8-bit), DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
const RAW_CONTROLS = /[\u001b\u202e\u0007\u009b\u007f]/;

/** The failed show of item `id` as bytes (`--raw` is byte for byte). */
function bytesOf(dir: string, args: string[]): Buffer {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  return run.stdout;
}

describe('failed list and show print event and error text escaped; --raw and --json keep it exact', () => {
  it('Given parked events whose type, data and error hold ESC[2J, RLO and other controls, Then text output escapes them and --raw/--json are exact', () => {
    const dir = tempDir('failed-controls-');
    writeConfig(
      dir,
      `{
        name: 'orders',
        publisher: { sink: 'none' },
        rules: [rule({ name: 'ship-order', on: ${JSON.stringify(TYPE)}, process: 'ship' })],
        processes: [defineProcess({ name: 'ship', steps: [{ name: 'label', run: ({ event }) => {
          throw new FatalError('no label for ' + event.type + ' \\u009b31m\\u007f');
        } }] })],
      }`,
    );
    // A JSON event (the type's ESC is escaped in JSON, raw once decoded; RLO and BEL raw in the bytes)…
    const event = `{"specversion":"1.0","id":"evt-1","type":${JSON.stringify(TYPE)},"source":"shop","data":{"note":"hi${RLO}evil\\u0007"}}`;
    // …and a line that is not JSON at all: raw ESC bytes, parked as undecodable.
    const garbage = `not json ${ESC_CLEAR}${RLO}\u0007 end`;
    writeFileSync(join(dir, 'events.ndjson'), `${event}\n${garbage}\n`);
    const cli = (args: string[]) => agentctl(args, { cwd: dir });
    expect(cli(['publish', '--raw', '--file', 'events.ndjson']).code).toBe(0);
    expect(cli(['consume', '--until-empty']).code).toBe(0);

    const list = cli(['failed', 'list']);
    const items = cli(['failed', 'list', '--json']).json<
      { id: number; eventType?: string; error: string }[]
    >();
    expect(items).toHaveLength(2);
    const parked = items.find((i) => i.eventType !== undefined)!;
    const undecodable = items.find((i) => i.eventType === undefined)!;
    const show = cli(['failed', 'show', String(parked.id)]);
    const showUndecodable = cli(['failed', 'show', String(undecodable.id)]);
    const status = cli(['status']);

    for (const out of [list, show, showUndecodable, status]) {
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).not.toMatch(RAW_CONTROLS);
    }
    expect(list.stdout).toContain('order\\x1b[2J\\u202ecreated');
    expect(show.stdout).toContain('event:        order\\x1b[2J\\u202ecreated evt-1');
    expect(show.stdout).toContain('\\x9b31m\\x7f');
    expect(show.stdout).toContain('"note": "hi\\u202eevil\\u0007"');
    expect(showUndecodable.stdout).toContain('not json \\x1b[2J\\u202e\\x07 end');

    // --json: the values exact (JSON escapes what must be escaped).
    expect(parked.eventType).toBe(TYPE);
    expect(parked.error).toContain(`${TYPE} \u009b31m\u007f`);
    const shown = cli(['failed', 'show', String(parked.id), '--json']).json<{ payload: string }>();
    expect(shown.payload).toBe(event);
    // --raw: the payload byte for byte.
    expect(bytesOf(dir, ['failed', 'show', String(parked.id), '--raw'])).toEqual(Buffer.from(event));
    expect(bytesOf(dir, ['failed', 'show', String(undecodable.id), '--raw'])).toEqual(Buffer.from(garbage));
  });
});

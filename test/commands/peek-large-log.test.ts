import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { LocalPeekReader } from '../../src/core/ops/peek/local-peek-reader.js';
import { peek } from '../../src/core/ops/peek/peek.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** A store whose local log holds `count` events over 4 partitions. */
async function logOf(count: number): Promise<{ dir: string; db: string }> {
  const dir = tempDir('peek-large-');
  mkdirSync(join(dir, '.agentctl'));
  const db = join(dir, '.agentctl', 'agent.db');
  const store = await openSqliteStore({ path: db });
  await store.log.ensureTopic('events', 4);
  const t0 = Date.now() - count;
  for (let i = 0; i < count; i += 50_000) {
    const n = Math.min(50_000, count - i);
    await store.log.append(
      'events',
      Array.from({ length: n }, (_, j) => ({
        value: Buffer.from(
          `{"specversion":"1.0","id":"e-${i + j}","source":"/t","type":"t","data":{"n":${i + j}}}`,
        ),
        partition: (i + j) % 4,
        timestamp: t0 + i + j,
      })),
    );
  }
  await store.close();
  return { dir, db };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('peek -n 10 on a 1M-event local log', () => {
  it('answers in well under 300 ms in process, and the CLI takes no longer than on a 10-event log', async () => {
    const big = await logOf(1_000_000);
    const small = await logOf(10);
    const store = await openSqliteStore({ path: big.db, readonly: true });
    const inProcess: number[] = [];
    for (const start of [
      { kind: 'earliest' as const },
      { kind: 'time' as const, ms: Date.now() - 500_000 },
    ]) {
      for (let round = 0; round < 3; round++) {
        const began = performance.now();
        let n = 0;
        for await (const _ of peek({
          reader: new LocalPeekReader(store.log, 'events'),
          request: { start, limit: 10 },
        }))
          n++;
        inProcess.push(performance.now() - began);
        expect(n).toBe(10);
      }
    }
    await store.close();
    const cli = { big: [] as number[], small: [] as number[] };
    for (let round = 0; round < 5; round++) {
      for (const [name, log] of [
        ['big', big],
        ['small', small],
      ] as const) {
        const began = performance.now();
        const run = agentctl(['peek', '-n', '10', '--json', '--from', '-5m'], { cwd: log.dir });
        cli[name].push(performance.now() - began);
        expect(run.code, run.stderr).toBe(0);
        expect(run.lines()).toHaveLength(10);
      }
    }
    const ratio = median(cli.big) / median(cli.small);
    console.log(
      `peek -n 10: in process ${inProcess.map((t) => t.toFixed(1)).join('/')} ms; CLI on 1M ${cli.big.map(Math.round).join('/')} ms, on 10 ${cli.small.map(Math.round).join('/')} ms, ratio of medians ${ratio.toFixed(2)}`,
    );
    expect(Math.max(...inProcess)).toBeLessThan(300);
    expect(ratio).toBeLessThan(1.5);
  }, 300_000);
});

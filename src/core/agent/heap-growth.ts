import { setFlagsFromString } from 'node:v8';

/**
 * How far the old generation may grow past its last full collection's survivors: 75 % (1.75×). Measured
 * on the `local` and `kinesis` benches (2 rounds each, interleaved): 50 % kept peak RSS at 141–145 MB but
 * cost 1–2 µs of CPU per event on `local` and more on `kinesis` (more full collections of its read-ahead);
 * 100 % cost nothing measurable but peaked at 152–157 MB; 75 % peaked at 143–145 MB.
 */
export const AGENT_HEAP_GROWING_PERCENT = 75;

let bounded = false;

/**
 * Bounds V8's old-generation growth between full collections to `AGENT_HEAP_GROWING_PERCENT`, once per
 * process. V8 lets the old generation grow to up to 4× what survived the last full collection on a
 * machine with a large heap limit. An agent's survivors are few and flat (the in-flight window, caches)
 * while every record it reads passes through and some of it is promoted before it dies: at 4× that dead
 * weight sat in RSS (the `local` bench peaked at 159–204 MB; 143–145 MB at 1.75×). V8
 * reads the setting at each collection, so setting it once the process runs takes effect. A process
 * started with its own `--heap-growing-percent` (node flag or `NODE_OPTIONS`) keeps it.
 */
export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
    arg.includes('heap-growing-percent'),
  );
  if (!given) setFlagsFromString(`--heap-growing-percent=${AGENT_HEAP_GROWING_PERCENT}`);
}

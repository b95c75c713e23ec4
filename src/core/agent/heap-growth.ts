import { setFlagsFromString } from 'node:v8';

/** How far the old generation may grow past its last full collection's survivors: 50 % (1.5×). */
export const AGENT_HEAP_GROWING_PERCENT = 50;

let bounded = false;

/**
 * Bounds V8's old-generation growth between full collections to `AGENT_HEAP_GROWING_PERCENT`, once per
 * process. V8 lets the old generation grow to up to 4× what survived the last full collection on a
 * machine with a large heap limit. An agent's survivors are few and flat (the in-flight window, caches)
 * while every record it reads passes through and some of it is promoted before it dies: at 4× that dead
 * weight sat in RSS (the `local` bench peaked at 176–195 MB; 139 MB at 1.5×, the same events/s). V8
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

import { utf8Text } from '../../events/payload-text.js';
import type { Effort } from '../../model/effort.js';
import type { RunRecord } from '../../model/run-record.js';
import { redactDeep } from '../../redact.js';
import { type FailedItemJson, failedItemJson, redactedFailed } from '../failed-items.js';
import type { RunDetail } from './run-detail.js';

/**
 * A run as JSON (`runs list --json`, `runs show --json`): every stored field, times in ms since the epoch,
 * credentials in its texts redacted. Its `output` (the process's result) is left exact: it is the agent's
 * data, not agentctl's text.
 */
export function runJson(run: RunRecord): RunRecord {
  const { output, ...rest } = run;
  return { ...redactDeep(rest), ...(output === undefined ? {} : { output }) } as RunRecord;
}

/** How `runs show --json` gives the run's event: where it was found and its bytes, or why it is absent. */
export type RunEventJson =
  | { readonly stored: 'parked' | 'log'; readonly payload?: string; readonly payloadBase64?: string }
  | { readonly stored: 'none'; readonly why: string };

export interface RunDetailJson {
  readonly run: RunRecord;
  readonly ledger: boolean;
  readonly event: RunEventJson;
  readonly efforts: readonly Effort[];
  readonly parked: readonly FailedItemJson[];
}

/**
 * The detail with credentials redacted from its texts (run, efforts, parked items), for printing. The
 * event's bytes and the run's output are left exact.
 */
export function redactedRunDetail(detail: RunDetail): RunDetail {
  return {
    ...detail,
    run: runJson(detail.run),
    efforts: detail.efforts.map((e) => redactDeep(e)),
    parked: detail.parked.map(redactedFailed),
  };
}

/** `runs show --json`: the detail with the event as text (UTF-8) or base64, parked items as in `failed show`. */
export function runDetailJson(detail: RunDetail): RunDetailJson {
  const { event } = detail;
  let eventJson: RunEventJson;
  if (event.stored === 'none') eventJson = { stored: 'none', why: event.why };
  else {
    const text = utf8Text(event.raw);
    eventJson =
      text !== undefined
        ? { stored: event.stored, payload: text }
        : { stored: event.stored, payloadBase64: Buffer.from(event.raw).toString('base64') };
  }
  return {
    run: runJson(detail.run),
    ledger: detail.ledger,
    event: eventJson,
    efforts: detail.efforts.map((e) => redactDeep(e)),
    parked: detail.parked.map(failedItemJson),
  };
}

import type { StatusSnapshot } from '../../model/status-snapshot.js';
import { redactDeep, redactSecrets } from '../../redact.js';
import type { ProcessingStateName } from '../../state/processing-state.js';
import type { AgentRecord } from '../records.js';
import type { Writable } from './writable.js';

/** An `agents` row as both adapters hand it over: times as numbers of ms, the snapshot as JSON text. */
export interface AgentRow {
  id: string;
  name: string;
  group_name: string;
  host: string;
  pid: number;
  source: string;
  state: ProcessingStateName;
  started_at: number;
  heartbeat_at: number;
  version: string;
  snapshot: string | null;
}

/**
 * The agent a row holds; a NULL snapshot is an absent one. Credentials are redacted again on the way out:
 * rows written by versions that stored them in clear are shown without them.
 */
export function toAgent(row: AgentRow): AgentRecord {
  const agent: Writable<AgentRecord> = {
    id: row.id,
    name: row.name,
    group: row.group_name,
    host: row.host,
    pid: row.pid,
    source: redactSecrets(row.source),
    state: row.state,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    version: row.version,
  };
  if (row.snapshot !== null) agent.snapshot = redactDeep(JSON.parse(row.snapshot) as StatusSnapshot);
  return agent;
}

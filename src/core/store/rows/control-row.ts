import type { ControlKind, ControlRequest, ControlStatus } from '../records.js';
import type { Writable } from './writable.js';

/** A `control_requests` row as both adapters hand it over: ids and times as numbers, JSON as text. */
export interface ControlRow {
  id: number;
  agent_id: string;
  kind: ControlKind;
  args: string;
  status: ControlStatus;
  created_at: number;
  updated_at: number;
  result: string | null;
}

/** The control request a row holds; a NULL result is an absent one. */
export function toControlRequest(row: ControlRow): ControlRequest {
  const request: Writable<ControlRequest> = {
    id: row.id,
    agentId: row.agent_id,
    kind: row.kind,
    args: JSON.parse(row.args) as Record<string, unknown>,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.result !== null) request.result = JSON.parse(row.result) as Record<string, unknown>;
  return request;
}

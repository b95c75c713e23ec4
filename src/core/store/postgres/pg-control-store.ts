import { NotFoundError } from '../../errors/not-found-error.js';
import type { ControlKind, ControlRequest, ControlStatus } from '../records.js';
import { type ControlRow, toControlRequest } from '../rows/control-row.js';
import type { ControlStore } from '../state-store.js';
import { jsonParam, NOW_MS, type PgConnection } from './pg-connection.js';

/**
 * Requests to running agents (drain, pause, resume), delivered through the shared store: an operator on
 * one host reaches an agent on another. Times are the database clock's.
 */
export class PgControlStore implements ControlStore {
  constructor(private readonly connection: PgConnection) {}

  async request(
    agentId: string,
    kind: ControlKind,
    args: Readonly<Record<string, unknown>> = {},
  ): Promise<ControlRequest> {
    const [row] = await this.connection.query<ControlRow>(
      `INSERT INTO ${this.connection.table('control_requests')} (agent_id, kind, args, status, created_at, updated_at)
       SELECT $1, $2, $3::json, 'pending', now.ms, now.ms FROM (SELECT ${NOW_MS} AS ms) AS now
       RETURNING *`,
      [agentId, kind, jsonParam(args)],
    );
    return toControlRequest(row!);
  }

  async get(id: number): Promise<ControlRequest | undefined> {
    const [row] = await this.connection.query<ControlRow>(
      `SELECT * FROM ${this.connection.table('control_requests')} WHERE id = $1`,
      [id],
    );
    return row === undefined ? undefined : toControlRequest(row);
  }

  async pending(agentId: string): Promise<ControlRequest[]> {
    const rows = await this.connection.query<ControlRow>(
      `SELECT * FROM ${this.connection.table('control_requests')}
       WHERE agent_id = $1 AND status = 'pending' ORDER BY id`,
      [agentId],
      'agentctl_control_pending',
    );
    return rows.map(toControlRequest);
  }

  /** Throws `NotFoundError` when there is no request with this id. Omitting `result` keeps the one set. */
  async update(id: number, status: ControlStatus, result?: Readonly<Record<string, unknown>>): Promise<void> {
    const changed = await this.connection.run(
      `UPDATE ${this.connection.table('control_requests')}
       SET status = $2, updated_at = ${NOW_MS}, result = coalesce($3::json, result) WHERE id = $1`,
      [id, status, result === undefined ? null : jsonParam(result)],
    );
    if (changed.rowCount === 0) throw new NotFoundError(`no control request with id ${id}`);
  }

  async list(agentId?: string): Promise<ControlRequest[]> {
    const rows = await this.connection.query<ControlRow>(
      `SELECT * FROM ${this.connection.table('control_requests')}
       WHERE $1::text IS NULL OR agent_id = $1 ORDER BY id`,
      [agentId ?? null],
    );
    return rows.map(toControlRequest);
  }
}

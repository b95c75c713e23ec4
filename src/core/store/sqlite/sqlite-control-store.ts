import { NotFoundError } from '../../errors/not-found-error.js';
import type { ControlKind, ControlRequest, ControlStatus } from '../records.js';
import { type ControlRow, toControlRequest } from '../rows/control-row.js';
import type { ControlStore } from '../state-store.js';
import type { SqliteConnection } from './sqlite-connection.js';

/** Requests to running agents (drain, pause, resume), delivered through the store. */
export class SqliteControlStore implements ControlStore {
  constructor(private readonly connection: SqliteConnection) {}

  request(
    agentId: string,
    kind: ControlKind,
    args: Readonly<Record<string, unknown>> = {},
  ): Promise<ControlRequest> {
    return this.connection.call(() => {
      const now = this.connection.clock.now();
      const row = this.connection
        .statement(
          `INSERT INTO control_requests (agent_id, kind, args, status, created_at, updated_at)
           VALUES (?, ?, ?, 'pending', ?, ?) RETURNING *`,
        )
        .get(agentId, kind, JSON.stringify(args), now, now) as ControlRow;
      return toControlRequest(row);
    });
  }

  get(id: number): Promise<ControlRequest | undefined> {
    return this.connection.call(() => {
      const row = this.connection.statement('SELECT * FROM control_requests WHERE id = ?').get(id) as
        | ControlRow
        | undefined;
      return row === undefined ? undefined : toControlRequest(row);
    });
  }

  pending(agentId: string): Promise<ControlRequest[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(`SELECT * FROM control_requests WHERE agent_id = ? AND status = 'pending' ORDER BY id`)
        .all(agentId) as ControlRow[];
      return rows.map(toControlRequest);
    });
  }

  /** Throws `NotFoundError` when there is no request with this id. Omitting `result` keeps the one set. */
  update(id: number, status: ControlStatus, result?: Readonly<Record<string, unknown>>): Promise<void> {
    return this.connection.call(() => {
      const changes = this.connection
        .statement(
          `UPDATE control_requests SET status = ?, updated_at = ?, result = coalesce(?, result) WHERE id = ?`,
        )
        .run(
          status,
          this.connection.clock.now(),
          result === undefined ? null : JSON.stringify(result),
          id,
        ).changes;
      if (changes === 0) throw new NotFoundError(`no control request with id ${id}`);
    });
  }

  list(agentId?: string): Promise<ControlRequest[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement('SELECT * FROM control_requests WHERE @agentId IS NULL OR agent_id = @agentId ORDER BY id')
        .all({ agentId: agentId ?? null }) as ControlRow[];
      return rows.map(toControlRequest);
    });
  }
}

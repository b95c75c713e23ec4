import { redactDeep, redactSecrets } from '../../redact.js';
import type { AgentRecord } from '../records.js';
import { type AgentRow, toAgent } from '../rows/agent-row.js';
import type { AgentHeartbeat, AgentStore } from '../state-store.js';
import { jsonOrNull } from './row-values.js';
import type { SqliteConnection } from './sqlite-connection.js';
import type { SqliteWriter } from './sqlite-writer.js';

const UPSERT = `
  INSERT INTO agents (id, name, group_name, host, pid, source, state, started_at, heartbeat_at, version, snapshot)
  VALUES (@id, @name, @group, @host, @pid, @source, @state, @startedAt, @now, @version, @snapshot)
  ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, group_name = excluded.group_name, host = excluded.host,
    pid = excluded.pid, source = excluded.source, state = excluded.state,
    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
    version = excluded.version, snapshot = excluded.snapshot`;

/**
 * Agents and their heartbeats. "Now" is the store clock's, so liveness is judged on one clock. The source
 * and snapshot are stored with credentials redacted, whoever wrote them.
 */
export class SqliteAgentStore implements AgentStore {
  /** `writer`: the store's writer thread, which takes a beat while it writes for us (see `heartbeat`). */
  constructor(
    private readonly connection: SqliteConnection,
    private readonly writer?: SqliteWriter,
  ) {}

  /**
   * While the writer thread has flushes of this process to apply, the beat is queued behind them there:
   * on this connection it would wait for their write lock in SQLite's busy handler, the event loop with
   * it (measured on the `local` bench: tens of ms a beat). Otherwise it is written here, at once.
   */
  async heartbeat(agent: AgentHeartbeat): Promise<AgentRecord> {
    const params = {
      id: agent.id,
      name: agent.name,
      group: agent.group,
      host: agent.host,
      pid: agent.pid,
      source: redactSecrets(agent.source),
      state: agent.state,
      startedAt: agent.startedAt,
      now: this.connection.clock.now(),
      version: agent.version,
      snapshot: jsonOrNull(redactDeep(agent.snapshot)),
    };
    const behind = this.writer?.writeBehind(UPSERT, params);
    if (behind === undefined) {
      return this.connection.call(() =>
        toAgent(this.connection.statement(`${UPSERT} RETURNING *`).get(params) as AgentRow),
      );
    }
    await behind.catch((error: unknown) => {
      throw this.connection.translate(error);
    });
    const written = await this.get(agent.id);
    if (written === undefined)
      throw new Error(`agent ${agent.id}: its heartbeat was written but is not found`);
    return written;
  }

  get(id: string): Promise<AgentRecord | undefined> {
    return this.connection.call(() => {
      const row = this.connection.statement('SELECT * FROM agents WHERE id = ?').get(id) as
        | AgentRow
        | undefined;
      return row === undefined ? undefined : toAgent(row);
    });
  }

  list(filter: { readonly group?: string; readonly aliveWithinMs?: number } = {}): Promise<AgentRecord[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(
          `SELECT * FROM agents
           WHERE (@group IS NULL OR group_name = @group) AND (@since IS NULL OR heartbeat_at >= @since)
           ORDER BY heartbeat_at DESC, id`,
        )
        .all({
          group: filter.group ?? null,
          since:
            filter.aliveWithinMs === undefined ? null : this.connection.clock.now() - filter.aliveWithinMs,
        }) as AgentRow[];
      return rows.map(toAgent);
    });
  }

  prune(olderThanMs: number): Promise<number> {
    return this.connection.call(
      () =>
        this.connection
          .statement('DELETE FROM agents WHERE heartbeat_at < ?')
          .run(this.connection.clock.now() - olderThanMs).changes,
    );
  }
}

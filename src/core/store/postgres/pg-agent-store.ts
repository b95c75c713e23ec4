import { redactDeep, redactSecrets } from '../../redact.js';
import type { AgentRecord } from '../records.js';
import { type AgentRow, toAgent } from '../rows/agent-row.js';
import type { AgentHeartbeat, AgentStore } from '../state-store.js';
import { jsonParam, NOW_MS, type PgConnection } from './pg-connection.js';

/**
 * Agents and their heartbeats. "Now" is the database clock's, so the liveness of agents on many hosts is
 * judged on one clock whatever their own clocks say. The source and snapshot are stored with credentials
 * redacted, whoever wrote them.
 */
export class PgAgentStore implements AgentStore {
  constructor(private readonly connection: PgConnection) {}

  async heartbeat(agent: AgentHeartbeat): Promise<AgentRecord> {
    const [row] = await this.connection.query<AgentRow>(
      `INSERT INTO ${this.connection.table('agents')} (
         id, name, group_name, host, pid, source, state, started_at, heartbeat_at, version, snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${NOW_MS}, $9, $10::json)
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, group_name = excluded.group_name, host = excluded.host, pid = excluded.pid,
         source = excluded.source, state = excluded.state, started_at = excluded.started_at,
         heartbeat_at = excluded.heartbeat_at, version = excluded.version, snapshot = excluded.snapshot
       RETURNING *`,
      [
        agent.id,
        agent.name,
        agent.group,
        agent.host,
        agent.pid,
        redactSecrets(agent.source),
        agent.state,
        Math.round(agent.startedAt),
        agent.version,
        agent.snapshot === undefined ? null : jsonParam(redactDeep(agent.snapshot)),
      ],
      'agentctl_agent_heartbeat',
    );
    return toAgent(row!);
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    const [row] = await this.connection.query<AgentRow>(
      `SELECT * FROM ${this.connection.table('agents')} WHERE id = $1`,
      [id],
    );
    return row === undefined ? undefined : toAgent(row);
  }

  async list(
    filter: { readonly group?: string; readonly aliveWithinMs?: number } = {},
  ): Promise<AgentRecord[]> {
    const rows = await this.connection.query<AgentRow>(
      `SELECT * FROM ${this.connection.table('agents')}
       WHERE ($1::text IS NULL OR group_name = $1)
         AND ($2::bigint IS NULL OR heartbeat_at >= ${NOW_MS} - $2::bigint)
       ORDER BY heartbeat_at DESC, id`,
      [filter.group ?? null, filter.aliveWithinMs === undefined ? null : Math.floor(filter.aliveWithinMs)],
    );
    return rows.map(toAgent);
  }

  async prune(olderThanMs: number): Promise<number> {
    const result = await this.connection.run(
      `DELETE FROM ${this.connection.table('agents')} WHERE heartbeat_at < ${NOW_MS} - $1::bigint`,
      [Math.floor(olderThanMs)],
    );
    return result.rowCount ?? 0;
  }
}

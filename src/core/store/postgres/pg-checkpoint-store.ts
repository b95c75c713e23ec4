import type { Partition } from '../../types.js';
import type { Checkpoint, CheckpointMove, CheckpointMoveWrite, CheckpointWrite } from '../records.js';
import { type CheckpointMoveRow, toCheckpointMove } from '../rows/checkpoint-move-row.js';
import { type CheckpointRow, ownerOf, toCheckpoint } from '../rows/checkpoint-row.js';
import type {
  CheckpointFilter,
  CheckpointHistoryFilter,
  CheckpointStore,
  FlushResult,
} from '../state-store.js';
import { jsonParam, NOW_MS, type PgConnection } from './pg-connection.js';

/** A checkpoint write as it travels in the JSON parameter; `i` is its place in the call. */
interface WriteRow {
  readonly i: number;
  readonly group_name: string;
  readonly source: string;
  readonly partition: string;
  readonly position: string;
  readonly owner: string | null;
  readonly fence_owner?: string;
  readonly fence_counter?: number;
}

export class PgCheckpointStore implements CheckpointStore {
  /**
   * The common table expressions that apply checkpoint writes given as a JSON parameter (`param`), for a
   * larger statement (`flush`) or on their own (`set`); `REJECTED` selects the refused writes' places.
   *
   * A fenced write's check and the write are one statement, and the check takes a share lock on the lease
   * row (`FOR SHARE`): a takeover of that lease (which updates the row) waits until the statement
   * commits, and a statement that meets a takeover in flight waits for it and then sees the new counter,
   * so refuses the write. The old owner's last commit therefore lands before the new owner reads the
   * checkpoint, or not at all. Expiry is judged by the database clock. Several writes to one partition in
   * a call behave as if applied in order: the last one whose fence holds wins.
   */
  ctes(param: string): string {
    return `
      cp_in AS (
        SELECT * FROM json_to_recordset(${param}::json) AS c(
          i int, group_name text, source text, partition text, position text, owner text,
          fence_owner text, fence_counter bigint)),
      cp_fenced AS (
        SELECT c.i FROM cp_in c
        JOIN ${this.connection.table('leases')} l
          ON l.group_name = c.group_name AND l.source = c.source AND l.partition = c.partition
          AND l.owner = c.fence_owner AND l.counter = c.fence_counter AND l.expires_at > ${NOW_MS}
        FOR SHARE OF l),
      cp_ok AS (
        SELECT * FROM cp_in WHERE fence_owner IS NULL OR i IN (SELECT i FROM cp_fenced)),
      cp_w AS (
        INSERT INTO ${this.connection.table('checkpoints')} AS k
          (group_name, source, partition, position, owner, updated_at)
        SELECT DISTINCT ON (group_name, source, partition)
          group_name, source, partition, position, owner, ${NOW_MS}
        FROM cp_ok ORDER BY group_name, source, partition, i DESC
        ON CONFLICT (group_name, source, partition) DO UPDATE SET
          position = excluded.position, owner = excluded.owner, updated_at = excluded.updated_at)`;
  }

  static readonly REJECTED = 'SELECT i FROM cp_in WHERE i NOT IN (SELECT i FROM cp_ok) ORDER BY i';

  constructor(private readonly connection: PgConnection) {}

  /** The JSON parameter of `ctes` for these writes. */
  static param(writes: readonly CheckpointWrite[]): string {
    return jsonParam(
      writes.map(
        (write, i): WriteRow => ({
          i,
          group_name: write.group,
          source: write.source,
          partition: write.partition,
          position: write.position,
          owner: ownerOf(write),
          ...(write.fence === undefined
            ? {}
            : { fence_owner: write.fence.owner, fence_counter: write.fence.counter }),
        }),
      ),
    );
  }

  /** The writes whose places `ctes` reported as refused. */
  static rejected(writes: readonly CheckpointWrite[], rows: readonly { i: number }[]): CheckpointWrite[] {
    return rows.map((row) => writes[row.i]!);
  }

  async get(
    group: string,
    source: string,
    partitions?: readonly Partition[],
  ): Promise<Map<Partition, Checkpoint>> {
    const rows =
      partitions === undefined
        ? await this.connection.query<CheckpointRow>(
            `SELECT * FROM ${this.connection.table('checkpoints')} WHERE group_name = $1 AND source = $2`,
            [group, source],
          )
        : await this.connection.query<CheckpointRow>(
            `SELECT * FROM ${this.connection.table('checkpoints')}
             WHERE group_name = $1 AND source = $2 AND partition = ANY($3::text[])`,
            [group, source, partitions],
          );
    return new Map(rows.map((row) => [row.partition, toCheckpoint(row)]));
  }

  async list(filter: CheckpointFilter = {}): Promise<Checkpoint[]> {
    const rows = await this.connection.query<CheckpointRow>(
      `SELECT * FROM ${this.connection.table('checkpoints')}
       WHERE ($1::text IS NULL OR group_name = $1) AND ($2::text IS NULL OR source = $2)
       ORDER BY group_name, source, partition`,
      [filter.group ?? null, filter.source ?? null],
    );
    return rows.map(toCheckpoint);
  }

  async set(writes: readonly CheckpointWrite[]): Promise<FlushResult> {
    if (writes.length === 0) return { rejected: [] };
    const rows = await this.connection.query<{ i: number }>(
      `WITH ${this.ctes('$1')} ${PgCheckpointStore.REJECTED}`,
      [PgCheckpointStore.param(writes)],
    );
    return { rejected: PgCheckpointStore.rejected(writes, rows) };
  }

  async move(moves: readonly CheckpointMoveWrite[], owner: string): Promise<CheckpointMove[]> {
    const checkpoints = this.connection.table('checkpoints');
    const history = this.connection.table('checkpoint_history');
    return this.connection.transaction(async (client) => {
      const written: CheckpointMove[] = [];
      for (const move of moves) {
        const { group, source, partition, after } = move;
        if (after === undefined) {
          await client.query(
            `DELETE FROM ${checkpoints} WHERE group_name = $1 AND source = $2 AND partition = $3`,
            [group, source, partition],
          );
        } else {
          await client.query(
            `INSERT INTO ${checkpoints} (group_name, source, partition, position, owner, updated_at)
             VALUES ($1, $2, $3, $4, $5, ${NOW_MS})
             ON CONFLICT (group_name, source, partition) DO UPDATE SET
               position = excluded.position, owner = excluded.owner, updated_at = excluded.updated_at`,
            [group, source, partition, after, owner],
          );
        }
        const { rows } = await client.query<CheckpointMoveRow>(
          `INSERT INTO ${history} (group_name, source, partition, before, after, actor, command, reason, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${NOW_MS}) RETURNING *`,
          [
            group,
            source,
            partition,
            move.before ?? null,
            after ?? null,
            move.actor,
            move.command,
            move.reason ?? null,
          ],
        );
        written.push(toCheckpointMove(rows[0]!));
      }
      return written;
    });
  }

  async history(filter: CheckpointHistoryFilter = {}): Promise<CheckpointMove[]> {
    const rows = await this.connection.query<CheckpointMoveRow>(
      `SELECT * FROM ${this.connection.table('checkpoint_history')}
       WHERE ($1::text IS NULL OR group_name = $1) AND ($2::text IS NULL OR source = $2)
         AND ($3::text IS NULL OR partition = $3)
       ORDER BY id DESC LIMIT $4`,
      [filter.group ?? null, filter.source ?? null, filter.partition ?? null, filter.limit ?? null],
    );
    return rows.map(toCheckpointMove);
  }

  async delete(group: string, source: string, partitions?: readonly Partition[]): Promise<number> {
    const result =
      partitions === undefined
        ? await this.connection.run(
            `DELETE FROM ${this.connection.table('checkpoints')} WHERE group_name = $1 AND source = $2`,
            [group, source],
          )
        : await this.connection.run(
            `DELETE FROM ${this.connection.table('checkpoints')}
             WHERE group_name = $1 AND source = $2 AND partition = ANY($3::text[])`,
            [group, source, partitions],
          );
    return result.rowCount ?? 0;
  }
}

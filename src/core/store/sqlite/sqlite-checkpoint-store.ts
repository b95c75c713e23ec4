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
import { jsonList } from './row-values.js';
import type { SqliteConnection } from './sqlite-connection.js';
import { WriteBatchBuilder } from './write-batch.js';

const RECORD_MOVE = `
  INSERT INTO checkpoint_history (group_name, source, partition, before, after, actor, command, reason, at)
  VALUES (@group, @source, @partition, @before, @after, @actor, @command, @reason, @at)
  RETURNING *`;

const DELETE_ONE = 'DELETE FROM checkpoints WHERE group_name = ? AND source = ? AND partition = ?';

const UPSERT = `
  INSERT INTO checkpoints (group_name, source, partition, position, owner, updated_at)
  VALUES (@group, @source, @partition, @position, @owner, @now)
  ON CONFLICT (group_name, source, partition)
  DO UPDATE SET position = excluded.position, owner = excluded.owner, updated_at = excluded.updated_at`;

/** The fence check and the write are one statement: the row is written only while the lease holds. */
const UPSERT_FENCED = `
  INSERT INTO checkpoints (group_name, source, partition, position, owner, updated_at)
  SELECT @group, @source, @partition, @position, @owner, @now
  WHERE EXISTS (
    SELECT 1 FROM leases
    WHERE group_name = @group AND source = @source AND partition = @partition
      AND owner = @fenceOwner AND counter = @fenceCounter AND expires_at > @now)
  ON CONFLICT (group_name, source, partition)
  DO UPDATE SET position = excluded.position, owner = excluded.owner, updated_at = excluded.updated_at`;

export class SqliteCheckpointStore implements CheckpointStore {
  constructor(private readonly connection: SqliteConnection) {}

  /**
   * Adds checkpoint writes to a batch; returns where each landed, so that `rejected` can tell from the
   * rows' changes which fenced writes were refused. The fence is judged against the store clock's now,
   * like lease expiry, in the same statement as the write.
   */
  addWrites(batch: WriteBatchBuilder, writes: readonly CheckpointWrite[]): (readonly [number, number])[] {
    if (writes.length === 0) return [];
    const now = this.connection.clock.now();
    return writes.map((write) => {
      const params = {
        group: write.group,
        source: write.source,
        partition: write.partition,
        position: write.position,
        owner: ownerOf(write),
        now,
      };
      if (write.fence === undefined) return batch.add(UPSERT, params);
      return batch.add(UPSERT_FENCED, {
        ...params,
        fenceOwner: write.fence.owner,
        fenceCounter: write.fence.counter,
      });
    });
  }

  /** The fenced writes whose row did not change. */
  static rejected(
    writes: readonly CheckpointWrite[],
    places: readonly (readonly [number, number])[],
    changes: readonly (readonly number[])[],
  ): CheckpointWrite[] {
    return writes.filter((_, i) => {
      const [statement, row] = places[i]!;
      return changes[statement]![row] === 0;
    });
  }

  get(group: string, source: string, partitions?: readonly Partition[]): Promise<Map<Partition, Checkpoint>> {
    return this.connection.call(() => {
      const rows = (
        partitions === undefined
          ? this.connection
              .statement('SELECT * FROM checkpoints WHERE group_name = ? AND source = ?')
              .all(group, source)
          : this.connection
              .statement(
                `SELECT * FROM checkpoints WHERE group_name = ? AND source = ?
                 AND partition IN (SELECT value FROM json_each(?))`,
              )
              .all(group, source, jsonList(partitions))
      ) as CheckpointRow[];
      return new Map(rows.map((row) => [row.partition, toCheckpoint(row)]));
    });
  }

  list(filter: CheckpointFilter = {}): Promise<Checkpoint[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(
          `SELECT * FROM checkpoints
           WHERE (@group IS NULL OR group_name = @group) AND (@source IS NULL OR source = @source)
           ORDER BY group_name, source, partition`,
        )
        .all({ group: filter.group ?? null, source: filter.source ?? null }) as CheckpointRow[];
      return rows.map(toCheckpoint);
    });
  }

  set(writes: readonly CheckpointWrite[]): Promise<FlushResult> {
    return this.connection.call(() => {
      const batch = new WriteBatchBuilder();
      const places = this.addWrites(batch, writes);
      const changes = this.connection.immediate(() => this.connection.apply(batch.build()));
      return { rejected: SqliteCheckpointStore.rejected(writes, places, changes) };
    });
  }

  move(moves: readonly CheckpointMoveWrite[], owner: string): Promise<CheckpointMove[]> {
    return this.connection.call(() =>
      this.connection.immediate(() => {
        const at = this.connection.clock.now();
        return moves.map((move) => {
          const { group, source, partition, after } = move;
          if (after === undefined) this.connection.statement(DELETE_ONE).run(group, source, partition);
          else
            this.connection
              .statement(UPSERT)
              .run({ group, source, partition, position: after, owner, now: at });
          const row = this.connection.statement(RECORD_MOVE).get({
            group,
            source,
            partition,
            before: move.before ?? null,
            after: after ?? null,
            actor: move.actor,
            command: move.command,
            reason: move.reason ?? null,
            at,
          }) as CheckpointMoveRow;
          return toCheckpointMove(row);
        });
      }),
    );
  }

  history(filter: CheckpointHistoryFilter = {}): Promise<CheckpointMove[]> {
    return this.connection.call(() => {
      const rows = this.connection
        .statement(
          `SELECT * FROM checkpoint_history
           WHERE (@group IS NULL OR group_name = @group) AND (@source IS NULL OR source = @source)
             AND (@partition IS NULL OR partition = @partition)
           ORDER BY id DESC LIMIT @limit`,
        )
        .all({
          group: filter.group ?? null,
          source: filter.source ?? null,
          partition: filter.partition ?? null,
          limit: filter.limit ?? -1,
        }) as CheckpointMoveRow[];
      return rows.map(toCheckpointMove);
    });
  }

  delete(group: string, source: string, partitions?: readonly Partition[]): Promise<number> {
    return this.connection.call(() => {
      const result =
        partitions === undefined
          ? this.connection
              .statement('DELETE FROM checkpoints WHERE group_name = ? AND source = ?')
              .run(group, source)
          : this.connection
              .statement(
                `DELETE FROM checkpoints WHERE group_name = ? AND source = ?
                 AND partition IN (SELECT value FROM json_each(?))`,
              )
              .run(group, source, jsonList(partitions));
      return result.changes;
    });
  }
}

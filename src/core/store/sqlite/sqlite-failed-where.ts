import type { FailedFilter } from '../records.js';
import { FAILED_COLUMNS, REPLAYABLE_COLUMNS } from '../rows/failed-row.js';
import { SEARCH_FUNCTION, searchPlan } from './failed-search.js';
import { jsonList } from './row-values.js';
import { SqlConditions } from './sql-conditions.js';

/** An item's payload (schema 11: in `failed_payloads`), as a column of a query over `failed_messages`. */
export const PAYLOAD_COLUMN = '(SELECT raw FROM failed_payloads p WHERE p.id = failed_messages.id)';

/** The columns read of an item, its payload from `failed_payloads`. */
export const ITEM_COLUMNS = FAILED_COLUMNS.replace(/\braw\b/, `${PAYLOAD_COLUMN} AS raw`);
/** The columns a replay reads of an item (`toReplayable`), its payload from `failed_payloads`. */
export const REPLAYABLE_ITEM_COLUMNS = REPLAYABLE_COLUMNS.replace(/\braw\b/, `${PAYLOAD_COLUMN} AS raw`);

/**
 * The SELECT (and its parameters) that `list` runs for a filter, or with other `columns` the pages of
 * `iterateReplayable`: exported so that a test can ask SQLite how it plans the very statement.
 */
export function selectQuery(
  filter: FailedFilter,
  columns: string = ITEM_COLUMNS,
): { readonly sql: string; readonly params: Record<string, unknown> } {
  const where = whereOf(filter);
  const limit = filter.limit === undefined ? '' : ' LIMIT @limit';
  return {
    sql: `SELECT ${columns} FROM ${where.from}${where.sql} ORDER BY ${where.order}${limit}`,
    params: { ...where.params, ...(filter.limit === undefined ? {} : { limit: filter.limit }) },
  };
}

interface Where {
  /** The tables: the items, led by the search index when the search uses it. */
  readonly from: string;
  readonly sql: string;
  readonly params: Record<string, unknown>;
  /** The id order, spelled so that SQLite follows the leading table's order (no sort). */
  readonly order: string;
}

/**
 * The FROM and WHERE clauses of a filter. Each filter shape yields one SQL text, so statements cache
 * well. A search that uses the index (see `searchPlan`) walks the index's matches in id order and joins
 * each to its item (`CROSS JOIN` keeps that order): a page of a search that matches a million items
 * reads a page of them, and keyset paging (`afterId`) starts where the last page ended, in the index.
 */
export function whereOf(filter: FailedFilter): Where {
  const where = new SqlConditions();
  const plan = filter.search ? searchPlan(filter.search) : undefined;
  const indexed = plan?.kind === 'index';
  const id = indexed ? 'failed_search.rowid' : 'id';
  if (plan?.kind === 'index') where.add('failed_search MATCH @search', { search: plan.match });
  else if (plan?.kind === 'scan') {
    where.add(`${SEARCH_FUNCTION}(@search, error, event_type, event_id, ${PAYLOAD_COLUMN})`, {
      search: plan.needle,
    });
  }
  const status = filter.status ?? 'pending';
  // Spelled out: SQLite uses an index `WHERE status = 'pending'` only for a query that says so in its
  // text, not through a parameter (the group indexes hold pending items only, see migration 5).
  if (status === 'pending') where.add("status = 'pending'");
  else if (status !== 'any') where.add('status = @status', { status });
  where
    .when('group', filter.group, 'group_name = @group')
    .when('reason', filter.reason, 'reason = @reason')
    .when('rule', filter.rule, 'rule = @rule')
    .when('since', filter.since, 'last_failed_at >= @since')
    .when(
      'ids',
      filter.ids === undefined ? undefined : jsonList(filter.ids),
      'id IN (SELECT value FROM json_each(@ids))',
    )
    .when('afterId', filter.afterId, `${id} > @afterId`);
  return {
    from: indexed
      ? 'failed_search CROSS JOIN failed_messages ON failed_messages.id = failed_search.rowid'
      : 'failed_messages',
    sql: where.where,
    params: where.params,
    order: id,
  };
}

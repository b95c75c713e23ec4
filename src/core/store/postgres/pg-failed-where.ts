import type { FailedFilter } from '../records.js';

/**
 * The WHERE clause of a failed-store filter on PostgreSQL, with its positional parameters. `search` is a
 * case-insensitive substring test (`ILIKE`, with `%`, `_` and `\\` in the term escaped) over the error,
 * event type, event id and `payloadText` (the payload read as UTF-8), under `searchCollation` (the
 * collation the trigram index was built under, so that it is used).
 */
export function failedWhere(
  filter: FailedFilter,
  searchCollation: string,
  payloadText: string,
): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const status = filter.status ?? 'pending';
  if (status !== 'any') conditions.push(`status = ${param(status)}`);
  if (filter.group !== undefined) conditions.push(`group_name = ${param(filter.group)}`);
  if (filter.reason !== undefined) conditions.push(`reason = ${param(filter.reason)}`);
  if (filter.rule !== undefined) conditions.push(`rule = ${param(filter.rule)}`);
  if (filter.since !== undefined) conditions.push(`last_failed_at >= ${param(Math.ceil(filter.since))}`);
  if (filter.ids !== undefined) conditions.push(`id = ANY(${param(filter.ids)}::bigint[])`);
  if (filter.afterId !== undefined) conditions.push(`id > ${param(filter.afterId)}`);
  if (filter.search !== undefined && filter.search !== '') {
    const pattern = `${param(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}${searchCollation}`;
    const fields = ['error', 'event_type', 'event_id', payloadText];
    conditions.push(`(${fields.map((field) => `${field} ILIKE ${pattern}`).join(' OR ')})`);
  }
  return { sql: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
}

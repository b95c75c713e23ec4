import type { ContextView } from '../../core/contexts/context-book.js';
import { type Column, renderTable } from './table.js';

function flags(view: ContextView): string {
  return (
    [view.readonly ? 'read-only' : '', view.production ? 'production' : ''].filter(Boolean).join(',') || '-'
  );
}

/** The contexts table, the current one marked with `*` (URIs already redacted). */
export function renderContexts(views: readonly ContextView[]): string {
  const columns: Column<ContextView>[] = [
    { header: 'CURRENT', value: (v) => (v.current ? '*' : '') },
    { header: 'NAME', value: (v) => v.name },
    { header: 'SOURCE', value: (v) => v.source ?? '-' },
    { header: 'DB', value: (v) => v.db ?? '-' },
    { header: 'SINK', value: (v) => v.sink ?? '-' },
    { header: 'FLAGS', value: flags },
  ];
  return renderTable(columns, views, 'no contexts yet: agentctl context add NAME --source … --db …');
}

/** One context, a line per setting (URIs already redacted). */
export function renderContext(view: ContextView): string {
  const lines = [
    `context ${view.name}${view.current ? ' (current)' : ''}`,
    ...(['source', 'db', 'sink', 'config'] as const).map((s) => `  ${s.padEnd(10)} ${view[s] ?? '-'}`),
    `  ${'read-only'.padEnd(10)} ${view.readonly ? 'yes: commands that write are refused' : 'no'}`,
    `  ${'production'.padEnd(10)} ${view.production ? 'yes: destructive actions ask for the name' : 'no'}`,
  ];
  if (view.secretsFrom.length > 0)
    lines.push(`  ${'secrets'.padEnd(10)} from ${view.secretsFrom.join(', ')}`);
  return lines.join('\n');
}

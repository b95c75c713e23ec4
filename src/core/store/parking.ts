/**
 * The keys of the failed store. Parking a message under a key it was parked under before (a redelivery
 * that fails again, here or on a remote worker) adds to that item instead of making a second one — so
 * every place that parks or looks items up by key builds it here.
 */

/**
 * An event that failed in `group` reading `source`. An event is identified by its CloudEvents source and
 * id together (ids are only unique per source).
 */
export function eventParkKey(
  group: string,
  source: string,
  event: { readonly source?: unknown; readonly id?: unknown },
): string {
  return `${group}|${source}|event:${String(event.source ?? '')}/${String(event.id)}`;
}

/** A message that could not be decoded into an event: known by where it was read. */
export function positionParkKey(group: string, source: string, partition: string, position: string): string {
  return `${group}|${source}|at:${partition}@${position}`;
}

/** A published record its sink refused for good: `publish/<sink>/<record id>`. */
export function recordParkKey(sink: string, recordId: string): string {
  return `${recordParkKeyPrefix(sink)}${recordId}`;
}

/** What the keys of every record parked for `sink` start with. */
export function recordParkKeyPrefix(sink: string): string {
  return `publish/${sink}/`;
}

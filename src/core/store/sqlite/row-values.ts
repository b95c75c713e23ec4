/** JSON text for an optional value; NULL (SQL) when the value is absent. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * A JSON array of values, bound as one parameter and read with `json_each`: one statement serves any
 * number of ids, so a call stays one query and never meets SQLite's bound-variable limit.
 */
export function jsonList(values: readonly (string | number)[]): string {
  return JSON.stringify(values);
}

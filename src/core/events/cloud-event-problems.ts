/** The attributes a CloudEvents 1.0 envelope must carry, each a non-empty string. */
const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
/** Optional attributes that, when present, must be strings. */
const OPTIONAL_STRINGS = ['time', 'subject', 'datacontenttype', 'dataschema', 'data_base64'] as const;

/**
 * Every way `value` falls short of a CloudEvents 1.0 envelope in JSON form, one line each (empty when it
 * is one): the required attributes missing or not non-empty strings, optional ones of the wrong type, a
 * `time` that is not a date, both `data` and `data_base64`. Stricter than the decoder, which lets
 * `specversion` default: an edit is checked against what the spec requires.
 */
export function cloudEventProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      `not a JSON object (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`,
    ];
  }
  const event = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of REQUIRED) {
    const field = event[key];
    if (field === undefined) problems.push(`"${key}" is missing (required)`);
    else if (typeof field !== 'string' || field.length === 0)
      problems.push(`"${key}" must be a non-empty string (got ${JSON.stringify(field)})`);
  }
  for (const key of OPTIONAL_STRINGS) {
    const field = event[key];
    if (field !== undefined && typeof field !== 'string')
      problems.push(`"${key}" must be a string (got ${JSON.stringify(field)})`);
  }
  if (typeof event.time === 'string' && Number.isNaN(Date.parse(event.time)))
    problems.push(`"time" must be an RFC 3339 timestamp (got ${JSON.stringify(event.time)})`);
  if (event.data !== undefined && event.data_base64 !== undefined)
    problems.push('"data" and "data_base64" exclude each other: keep one');
  return problems;
}

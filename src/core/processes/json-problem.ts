/**
 * How deep a run's output may nest (objects and arrays inside one another). Stores write outputs as JSON
 * inside other JSON (SQLite parses it with a nesting limit of 1,000) and `JSON.stringify` recurses, so a
 * deeper value would fail every flush of its batch; real outputs stay far below this.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * Why `value` cannot be stored as JSON — what `JSON.stringify` would throw on (a BigInt, a cycle, a throwing
 * `toJSON` or getter) or a nesting deeper than `maxDepth` — and where in the value; `undefined` when it
 * can be. Walks the value as `JSON.stringify` would (own enumerable keys, `toJSON` first) without building
 * any text or path on the way: strings, numbers and other primitives cost one `typeof`.
 */
export function jsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  if (typeof value !== 'object' && typeof value !== 'bigint') return undefined;
  if (value === null) return undefined;
  const walk = new Walk(maxDepth);
  try {
    return walk.problemIn(value, '');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `reading ${walk.path()} threw: ${reason}`;
  }
}

/** One walk: the objects and keys from the top down to where it is (the path is built only to report). */
class Walk {
  private readonly ancestors: object[] = [];
  private readonly keys: (string | number)[] = [];

  constructor(private readonly maxDepth: number) {}

  problemIn(value: unknown, key: string | number): string | undefined {
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(value, String(key));
    }
    if (typeof value === 'bigint' || value instanceof BigInt) {
      return `a BigInt at ${this.path()} (convert it to a string or a number)`;
    }
    if (typeof value !== 'object' || value === null) return undefined;
    const ancestors = this.ancestors;
    if (ancestors.length >= this.maxDepth) {
      return new Set(ancestors).size < ancestors.length || ancestors.includes(value)
        ? `a circular reference at ${this.path()}`
        : `nested deeper than ${this.maxDepth} levels, at ${this.path()}`;
    }
    ancestors.push(value);
    const keys = this.keys;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        keys.push(i);
        const problem = this.problemIn(value[i], i);
        if (problem !== undefined) return problem;
        keys.pop();
      }
    } else {
      const object = value as Record<string, unknown>;
      for (const name in object) {
        if (!Object.hasOwn(object, name)) continue;
        keys.push(name);
        const problem = this.problemIn(object[name], name);
        if (problem !== undefined) return problem;
        keys.pop();
      }
    }
    ancestors.pop();
    return undefined;
  }

  /** Where the walk is, as `.a[3].b` (the top: `the top`); a path of hundreds of levels shows its ends. */
  path(): string {
    if (this.keys.length === 0) return 'the top';
    const path = this.keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
    return path.length <= 120 ? path : `${path.slice(0, 50)}…${path.slice(-50)}`;
  }
}

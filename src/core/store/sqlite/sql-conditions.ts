/**
 * The conditions of a WHERE clause and their named parameters, built from a filter's optional fields:
 * each is added only when its field is given, in the order added (one SQL text per filter shape, so
 * statements cache well).
 */
export class SqlConditions {
  readonly conditions: string[] = [];
  readonly params: Record<string, unknown> = {};

  /** Adds `sql`, which reads `@name`, when `value` is given (bound as `name`). */
  when(name: string, value: unknown, sql: string): this {
    if (value !== undefined) {
      this.conditions.push(sql);
      this.params[name] = value;
    }
    return this;
  }

  /** Adds `sql` whatever the filter, with the parameters it reads. */
  add(sql: string, params: Readonly<Record<string, unknown>> = {}): this {
    this.conditions.push(sql);
    Object.assign(this.params, params);
    return this;
  }

  /** ` WHERE a AND b`, or nothing without conditions. */
  get where(): string {
    return this.conditions.length === 0 ? '' : ` WHERE ${this.conditions.join(' AND ')}`;
  }
}

/** A record type with its `readonly` modifiers removed, for building a record field by field. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** See parked-items.js. */
export function insertParkedItems(path: string, count: number): void;

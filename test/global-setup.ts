/**
 * Runs once before all test files. Services the tests may need (RabbitMQ, PostgreSQL) are probed in the
 * test files themselves (see test/support/services.ts); this only makes sure temp roots exist.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): void {
  mkdirSync(join(tmpdir(), 'agentctl-tests'), { recursive: true });
}

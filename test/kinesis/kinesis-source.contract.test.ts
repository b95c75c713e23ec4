import { afterAll, beforeAll } from 'vitest';
import { KinesisSource } from '../../src/core/sources/kinesis/kinesis-source.js';
import { sourceContract } from '../core/sources/source-contract.js';
import { type Kinesalite, putRecords, startKinesalite } from './support/kinesalite.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

let seq = 0;

sourceContract(
  'kinesis (kinesalite)',
  async () => {
    const stream = await server.createStream(2, 'contract');
    const client = server.client();
    const source = new KinesisSource({ stream, client, ownsClient: true, uri: server.uri(stream) });
    const admin = server.client();
    return {
      source,
      append: async (values) => {
        await putRecords(
          admin,
          stream,
          values.map((data) => ({ key: `k${seq++}`, data })),
        );
      },
      close: async () => admin.destroy(),
    };
  },
  { replayable: true, timeoutMs: 10_000 },
);

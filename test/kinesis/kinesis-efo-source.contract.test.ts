import { afterAll, beforeAll } from 'vitest';
import { KinesisSource } from '../../src/core/sources/kinesis/kinesis-source.js';
import {
  createKinesisClient,
  createKinesisHttp2Client,
} from '../../src/core/transports/kinesis/kinesis-client.js';
import { sourceContract } from '../core/sources/source-contract.js';
import { type EfoServer, startEfoServer } from '../support/kinesis-efo-server.js';
import { type Kinesalite, putRecords, startKinesalite } from './support/kinesalite.js';

let kinesalite: Kinesalite;
let efo: EfoServer;
beforeAll(async () => {
  kinesalite = await startKinesalite();
  efo = await startEfoServer({ kinesalite: kinesalite.endpoint, heartbeatMs: 200 });
});
afterAll(async () => {
  await efo.close();
  await kinesalite.close();
});

let seq = 0;

// The Source contract, read with enhanced fan-out (SubscribeToShard through the test server).
sourceContract(
  'kinesis enhanced fan-out (test server over kinesalite)',
  async () => {
    const stream = await kinesalite.createStream(2, 'contract-efo');
    const settings = { endpoint: efo.endpoint, region: 'us-east-1' };
    const source = new KinesisSource({
      stream,
      client: createKinesisClient(settings),
      ownsClient: true,
      uri: `kinesis://${stream}?consumer=contract`,
      consumer: { name: 'contract', subscribeClient: createKinesisHttp2Client(settings) },
    });
    const admin = kinesalite.client();
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

import { randomUUID } from 'node:crypto';
import { createServer as createHttp1, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createNet, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  type KinesaliteCall,
  type StartingPosition,
  type SubscriptionFault,
  type SubscriptionSettings,
  serveSubscription,
} from './kinesis-efo-subscription.js';

export type { SubscriptionFault } from './kinesis-efo-subscription.js';

export interface EfoServerOptions extends Partial<Omit<SubscriptionSettings, 'endStartedBefore'>> {
  /** The kinesalite server every other call goes to, e.g. `http://127.0.0.1:4567`. */
  readonly kinesalite: string;
  /** How long a registered consumer stays `CREATING` (default 50 ms). */
  readonly activationMs?: number;
}

/** A `SubscribeToShard` call the server answered (or refused). */
export interface SubscriptionLog {
  readonly stream: string;
  readonly shard: string;
  readonly start: StartingPosition;
  readonly refused?: string;
}

/**
 * A Kinesis endpoint with enhanced fan-out for tests, in this process: kinesalite has no stream consumers
 * and no `SubscribeToShard`, so this server implements `RegisterStreamConsumer`, `DescribeStreamConsumer`,
 * `ListStreamConsumers`, `DeregisterStreamConsumer` and `SubscribeToShard` (HTTP/2, real event-stream
 * frames, records read from kinesalite), and forwards every other call to kinesalite unchanged.
 *
 * One cleartext port speaks both HTTP/1.1 (the SDK's `NodeHttpHandler`, control plane and polling) and
 * HTTP/2 with prior knowledge (`NodeHttp2Handler` against an `http://` endpoint): each connection is
 * routed by its first bytes (the HTTP/2 preface starts `PRI `).
 */
export interface EfoServer {
  readonly endpoint: string;
  /** The next subscription of `shard` (any consumer) that has no fault yet suffers `fault` (queued). */
  inject(shard: string, fault: SubscriptionFault): void;
  /** Subscriptions end after `ms` (Kinesis: 5 minutes), those open now included. */
  setSubscriptionMs(ms: number): void;
  /** Ends every open subscription cleanly, as when their 5 minutes are up. */
  endSubscriptions(): void;
  /** Every `SubscribeToShard` call so far, in order. */
  readonly subscriptions: readonly SubscriptionLog[];
  close(): Promise<void>;
}

interface Consumer {
  readonly ConsumerName: string;
  readonly ConsumerARN: string;
  readonly StreamARN: string;
  readonly stream: string;
  readonly ConsumerCreationTimestamp: number;
  ConsumerStatus: 'CREATING' | 'ACTIVE' | 'DELETING';
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export async function startEfoServer(options: EfoServerOptions): Promise<EfoServer> {
  const settings: { -readonly [K in keyof SubscriptionSettings]: number } = {
    subscriptionMs: options.subscriptionMs ?? 300_000,
    pollMs: options.pollMs ?? 20,
    heartbeatMs: options.heartbeatMs ?? 1_000,
    maxRecordsPerEvent: options.maxRecordsPerEvent ?? 1_000,
    endStartedBefore: 0,
  };
  const consumers = new Map<string, Consumer>();
  const faults = new Map<string, SubscriptionFault[]>();
  const active = new Set<string>();
  const subscriptions: SubscriptionLog[] = [];
  const responses = new Set<Response>();

  const call: KinesaliteCall = async <T>(operation: string, body: unknown): Promise<T> => {
    const res = await fetch(options.kinesalite, {
      method: 'POST',
      headers: kinesaliteHeaders(operation),
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as T & { __type?: string; message?: string };
    if (res.status !== 200) throw new ApiError(json.__type ?? 'InternalFailure', json.message ?? '');
    return json;
  };

  const consumerOf = (input: { ConsumerARN?: string; StreamARN?: string; ConsumerName?: string }) => {
    const found =
      input.ConsumerARN !== undefined
        ? consumers.get(input.ConsumerARN)
        : [...consumers.values()].find(
            (c) => c.StreamARN === input.StreamARN && c.ConsumerName === input.ConsumerName,
          );
    if (found === undefined) throw new ApiError('ResourceNotFoundException', 'Consumer not found');
    return found;
  };
  const describe = (c: Consumer) => {
    const { stream: _stream, ...description } = c;
    return description;
  };

  const operations: Record<string, (input: Record<string, string>) => Promise<unknown>> = {
    async RegisterStreamConsumer(input) {
      const streamArn = input.StreamARN ?? '';
      if (
        [...consumers.values()].some(
          (c) => c.StreamARN === streamArn && c.ConsumerName === input.ConsumerName,
        )
      )
        throw new ApiError('ResourceInUseException', `Consumer ${input.ConsumerName} exists`);
      const stream = streamArn.slice(streamArn.indexOf(':stream/') + ':stream/'.length);
      await call('DescribeStreamSummary', { StreamName: stream });
      const created = Math.floor(Date.now() / 1000);
      const consumer: Consumer = {
        ConsumerName: input.ConsumerName ?? '',
        ConsumerARN: `${streamArn}/consumer/${input.ConsumerName}:${created}`,
        StreamARN: streamArn,
        stream,
        ConsumerCreationTimestamp: created,
        ConsumerStatus: 'CREATING',
      };
      consumers.set(consumer.ConsumerARN, consumer);
      setTimeout(() => {
        consumer.ConsumerStatus = 'ACTIVE';
      }, options.activationMs ?? 50).unref();
      const { StreamARN: _s, stream: _n, ...out } = consumer;
      return { Consumer: out };
    },
    async DescribeStreamConsumer(input) {
      return { ConsumerDescription: describe(consumerOf(input)) };
    },
    async ListStreamConsumers(input) {
      return {
        Consumers: [...consumers.values()]
          .filter((c) => c.StreamARN === input.StreamARN)
          .map(({ StreamARN: _s, stream: _n, ...c }) => c),
      };
    },
    async DeregisterStreamConsumer(input) {
      consumers.delete(consumerOf(input).ConsumerARN);
      return {};
    },
  };

  const subscribe = async (input: Record<string, unknown>, res: Response) => {
    const shard = String(input.ShardId);
    const start = input.StartingPosition as StartingPosition;
    const consumer = consumerOf({ ConsumerARN: String(input.ConsumerARN) });
    if (consumer.ConsumerStatus !== 'ACTIVE')
      throw new ApiError('ResourceInUseException', `Consumer ${consumer.ConsumerName} is not ACTIVE`);
    const key = `${consumer.ConsumerARN}|${shard}`;
    const fault = faults.get(shard)?.shift();
    const refused =
      fault?.kind === 'refuse' ? fault.error : active.has(key) ? 'ResourceInUseException' : undefined;
    subscriptions.push({
      stream: consumer.stream,
      shard,
      start,
      ...(refused === undefined ? {} : { refused }),
    });
    if (refused !== undefined) throw new ApiError(refused, `Another subscription to ${shard} is active`);
    active.add(key);
    try {
      await serveSubscription(call, res, consumer.stream, shard, start, settings, fault);
    } finally {
      active.delete(key);
    }
  };

  const handle = async (req: Request, res: Response) => {
    responses.add(res);
    res.on('close', () => responses.delete(res));
    const body = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    try {
      if (operation === 'SubscribeToShard') return await subscribe(JSON.parse(body), res);
      const local = operations[operation];
      if (local !== undefined) return sendJson(res, 200, await local(JSON.parse(body)));
      const forwarded = await fetch(options.kinesalite, {
        method: 'POST',
        headers: forwardHeaders(req),
        body,
      });
      const out = Buffer.from(await forwarded.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-amzn-requestid', 'x-amzn-errortype', 'x-amz-id-2']) {
        const value = forwarded.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      res.writeHead(forwarded.status, headers);
      res.end(out);
    } catch (error) {
      if (res.headersSent) {
        res.destroy?.();
        return;
      }
      const type = error instanceof ApiError ? error.type : 'InternalFailure';
      sendJson(res, error instanceof ApiError ? 400 : 500, {
        __type: type,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const h1 = createHttp1((req, res) => void handle(req, res));
  const h2 = createHttp2((req, res) => void handle(req, res));
  const sockets = new Set<Socket>();
  const server = createNet((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      socket.pause();
      const connection = replaying(socket, first);
      (first.subarray(0, 4).toString('latin1') === 'PRI ' ? h2 : h1).emit('connection', connection);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inject: (shard, fault) => void faults.set(shard, [...(faults.get(shard) ?? []), fault]),
    setSubscriptionMs: (ms) => {
      settings.subscriptionMs = ms;
    },
    endSubscriptions: () => {
      settings.endStartedBefore = Date.now();
    },
    subscriptions,
    async close() {
      for (const res of responses) res.destroy?.();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The connection as a plain duplex that yields `first` before the rest of the socket's bytes: HTTP/2 and
 * HTTP/1 servers read a real socket's handle natively, which would skip the bytes read to route it.
 */
function replaying(socket: Socket, first: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('error', (error) => duplex.destroy(error));
  socket.on('close', () => duplex.destroy());
  Object.assign(duplex, { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
  return duplex;
}

async function readBody(req: Request): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: Response, status: number, body: unknown): void {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  };
  const type = (body as { __type?: string }).__type;
  if (status !== 200 && type !== undefined) headers['x-amzn-errortype'] = type;
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

function kinesaliteHeaders(operation: string): Record<string, string> {
  return {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `Kinesis_20131202.${operation}`,
    'x-amz-date': '20260101T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00',
  };
}

function forwardHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

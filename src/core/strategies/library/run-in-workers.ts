import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../clock.js';
import type { Message } from '../../types.js';
import { InvalidMessage, type ProcessingStrategy } from '../processing-strategy.js';
import { RunTaskConcurrently } from './run-task-concurrently.js';

export interface RunInWorkersOptions {
  /** The ES module holding the task: an absolute path or a `file:` URL. It is loaded by each worker. */
  readonly module: string;
  /** The export to call with each (structured-cloned) message. Default `'default'`. */
  readonly exportName?: string;
  /** How many worker threads (≥ 1); each runs one task at a time. */
  readonly workers: number;
  /** How many messages may be accepted and not yet forwarded. Default and minimum: `workers`. */
  readonly maxInFlight?: number;
  /** Bounds `join(timeoutMs)`. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * Runs in each worker. Plain JavaScript evaluated with `eval: true`, so the pool needs no TypeScript
 * loader; the user's module is loaded with a dynamic `import()`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const describe = (e) => e instanceof Error
  ? { name: e.name, message: e.message, stack: e.stack }
  : { name: 'Error', message: String(e) };
import(workerData.url).then((module) => {
  const task = module[workerData.exportName];
  if (typeof task !== 'function') {
    parentPort.postMessage({ fatal: describe(new TypeError(
      'export ' + workerData.exportName + ' of ' + workerData.url + ' is not a function')) });
    return;
  }
  parentPort.on('message', async (message) => {
    let reply;
    try {
      reply = { value: await task(message) };
    } catch (e) {
      reply = { error: describe(e) };
    }
    try {
      parentPort.postMessage(reply);
    } catch (e) {
      parentPort.postMessage({ error: describe(e) });
    }
  });
}, (e) => parentPort.postMessage({ fatal: describe(e) }));
`;

interface ErrorShape {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

interface Reply {
  readonly value?: unknown;
  readonly error?: ErrorShape;
  readonly fatal?: ErrorShape;
}

interface Task {
  readonly message: Message<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Thread {
  readonly worker: Worker;
  task: Task | undefined;
  crash: unknown;
}

function revive(shape: ErrorShape): Error {
  const error = new Error(shape.message);
  error.name = shape.name;
  if (shape.stack !== undefined) error.stack = shape.stack;
  return error;
}

/**
 * A fixed set of worker threads, one task each. A worker that dies is replaced and its task fails; a
 * module that cannot be loaded breaks the pool (replacing workers would not help).
 */
class WorkerPool {
  private readonly idle: Thread[] = [];
  private readonly threads = new Set<Thread>();
  private broken: Error | undefined;
  private stopped = false;

  constructor(private readonly workerData: { readonly url: string; readonly exportName: string }) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) this.idle.push(this.spawn());
  }

  /** Runs the task on an idle worker. The caller keeps at most `count` tasks running. */
  run(message: Message<unknown>): Promise<unknown> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const thread = this.idle.pop();
    if (thread === undefined) return Promise.reject(new Error('RunInWorkers: no idle worker'));
    return new Promise((resolve, reject) => {
      try {
        thread.worker.postMessage(message);
      } catch (error) {
        this.idle.push(thread);
        reject(new InvalidMessage(message, 'task', { cause: error }));
        return;
      }
      thread.task = { message, resolve, reject };
    });
  }

  async terminate(): Promise<void> {
    this.stopped = true;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private spawn(): Thread {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.workerData });
    const thread: Thread = { worker, task: undefined, crash: undefined };
    this.threads.add(thread);
    worker.on('message', (reply: Reply) => this.onReply(thread, reply));
    worker.on('error', (error) => {
      thread.crash = error;
    });
    worker.on('exit', (code) => this.onExit(thread, code));
    return thread;
  }

  private onReply(thread: Thread, reply: Reply): void {
    if (reply.fatal !== undefined) {
      this.broken = new Error(`RunInWorkers: cannot load the task: ${reply.fatal.message}`, {
        cause: revive(reply.fatal),
      });
      return;
    }
    const task = thread.task;
    if (task === undefined) return;
    thread.task = undefined;
    this.idle.push(thread);
    if (reply.error === undefined) task.resolve(reply.value);
    else task.reject(new InvalidMessage(task.message, 'task', { cause: revive(reply.error) }));
  }

  private onExit(thread: Thread, code: number): void {
    if (this.stopped || !this.threads.delete(thread)) return;
    const index = this.idle.indexOf(thread);
    if (index >= 0) this.idle.splice(index, 1);
    if (this.broken === undefined) this.idle.push(this.spawn());
    const task = thread.task;
    if (task === undefined) return;
    thread.task = undefined;
    if (this.broken !== undefined) {
      task.reject(this.broken);
      return;
    }
    const cause = thread.crash ?? new Error(`worker thread exited with code ${code}`);
    task.reject(new InvalidMessage(task.message, 'task', { cause }));
  }
}

/**
 * Runs a task from an ES module on a pool of `worker_threads`, for CPU-bound work that would stall the
 * consumer loop. The task gets a structured clone of each `Message<T>` (payload, raw bytes, coordinates)
 * and returns (or resolves to) a structured-cloneable result, which is forwarded with `withPayload` in
 * submission order.
 *
 * Blocking and errors are those of `RunTaskConcurrently` with `concurrency: workers` and
 * `maxPending: maxInFlight`: `submit` throws `MessageRejected` when full; `poll` returns a promise when
 * full. A task that throws (or a message that cannot be cloned) surfaces from `poll`, in order, as an
 * `InvalidMessage` with reason `'task'` and the worker's error as `cause`. A worker that dies is
 * replaced and the task it ran fails the same way. A module or export that cannot be loaded surfaces
 * from `poll` as a plain `Error` (a configuration problem, not the message's fault).
 *
 * `join` finishes in-flight tasks (within the timeout), joins the next step, then stops the workers;
 * `terminate` kills them at once.
 */
export class RunInWorkers<T, U> implements ProcessingStrategy<T> {
  private readonly pool: WorkerPool;
  private readonly inner: RunTaskConcurrently<T, U>;

  constructor(options: RunInWorkersOptions, next: ProcessingStrategy<U>) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    }
    const url = options.module.startsWith('file:') ? options.module : toFileUrl(options.module);
    this.pool = new WorkerPool({ url, exportName: options.exportName ?? 'default' });
    this.inner = new RunTaskConcurrently<T, U>(
      (message) => this.pool.run(message) as Promise<U>,
      {
        concurrency: options.workers,
        maxPending: options.maxInFlight ?? options.workers,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      },
      next,
    );
    this.pool.start(options.workers);
  }

  submit(message: Message<T>): void {
    this.inner.submit(message);
  }

  poll(): Promise<void> | undefined {
    return this.inner.poll();
  }

  close(): void {
    this.inner.close();
  }

  async join(timeoutMs?: number): Promise<void> {
    try {
      await this.inner.join(timeoutMs);
    } finally {
      await this.pool.terminate();
    }
  }

  terminate(): void {
    this.inner.terminate();
    this.pool.terminate().catch(() => undefined);
  }
}

function toFileUrl(path: string): string {
  if (!isAbsolute(path)) throw new TypeError(`RunInWorkers: module must be an absolute path, got ${path}`);
  return pathToFileURL(path).href;
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProcessingState, ProcessingStateName } from '../state/processing-state.js';
import { AgentMetrics, type MetricsSubject } from './agent-metrics.js';

/** States in which the agent takes and processes work (`/readyz` answers 200). */
const READY: ReadonlySet<ProcessingStateName> = new Set(['IDLE', 'ACTIVE', 'STEADY']);
/** States in which the process is broken for good (`/healthz` answers 503). */
const DEAD: ReadonlySet<ProcessingStateName> = new Set(['ERROR']);

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (200 while the process is alive and not in
 * ERROR) and `/readyz` (200 while connected and consuming: IDLE, ACTIVE or STEADY; 503 while booting,
 * OFFLINE, draining or stopped) for orchestrators. Port 0 picks a free port.
 */
export async function startMetricsServer(options: {
  readonly port: number;
  readonly host?: string;
  readonly metrics: AgentMetrics;
  readonly state: ProcessingState;
}): Promise<MetricsServer> {
  const { metrics, state } = options;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const answer = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => answer(200, text, metrics.contentType),
        (error: unknown) => answer(500, JSON.stringify({ error: String(error) })),
      );
    } else if (path === '/healthz') {
      answer(
        DEAD.has(state.value) ? 503 : 200,
        JSON.stringify({ status: DEAD.has(state.value) ? 'dead' : 'alive', state: state.value }),
      );
    } else if (path === '/readyz') {
      const ready = READY.has(state.value);
      answer(
        ready ? 200 : 503,
        JSON.stringify({ status: ready ? 'ready' : 'not ready', state: state.value }),
      );
    } else {
      answer(404, JSON.stringify({ error: 'not found', paths: ['/metrics', '/healthz', '/readyz'] }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Serves the metrics and health of a running agent (named `name` in the metrics' labels). */
export function serveAgentMetrics(
  agent: MetricsSubject & { readonly state: ProcessingState },
  options: { readonly name: string; readonly port: number; readonly host?: string },
): Promise<MetricsServer> {
  return startMetricsServer({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    metrics: new AgentMetrics(agent, { agent: options.name }),
    state: agent.state,
  });
}

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The load generator, run in a worker thread so it doesn't share the server's event loop:
 * `connections` keep-alive HTTP/1.1 connections, each sending one GET after another to
 * `url` until `durationMs` has passed. It stops by itself and posts a LoadResult.
 */
export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** GET unless said; a body is sent as JSON. */
  method?: 'GET' | 'POST';
  body?: unknown;
  connections: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  /** Answers other than 200, and transport errors, by status ("error" for the latter). */
  failures: Record<string, number>;
  /** Milliseconds per request, in completion order. */
  latencies: Float64Array<ArrayBuffer>;
  elapsedMs: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

async function run(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const fail = (key: string) => (failures[key] = (failures[key] ?? 0) + 1);

  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = payload === undefined ? options.headers : { ...options.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? 'GET', headers },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
          response.once('error', reject);
        },
      );
      request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error('request timed out')));
      request.once('error', reject);
      request.end(payload);
    });

  const started = performance.now();
  const deadline = started + options.durationMs;
  const connection = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const status = await once();
        latencies.push(performance.now() - sent);
        if (status !== 200) fail(String(status));
      } catch {
        fail('error');
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, connection));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { requests: latencies.length, failures, latencies: Float64Array.from(latencies), elapsedMs };
}

if (parentPort && workerData) {
  const result = await run(workerData as LoadOptions);
  parentPort.postMessage(result, [result.latencies.buffer]);
}

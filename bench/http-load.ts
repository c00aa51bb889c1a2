// A small HTTP load generator that runs in its own process (forked by a bench section), so the
// client's own work (building requests, parsing responses) does not share the event loop of the
// server it measures. Keep-alive connections, one per lane; every response is read to its end and
// checked. Talks to its parent over IPC: one `LoadJob` in, one `LoadResult` out.
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';

/** One request the generator sends (the lanes take them in turn). */
export interface LoadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadJob {
  /** `http://host:port` */
  readonly origin: string;
  readonly requests: readonly LoadRequest[];
  readonly concurrency: number;
  /** Requests to time (after `warmUp` untimed ones). */
  readonly total: number;
  readonly warmUp: number;
  /** Every response must have this status and contain this text. */
  readonly expectStatus: number;
  readonly expectText: string;
}

export interface LoadResult {
  /** Latency of each timed request, ms. */
  readonly samples: readonly number[];
  /** Wall time of the timed part, s. */
  readonly seconds: number;
  /** The first unexpected response, if any (the run stops there). */
  readonly error?: string;
}

/** Runs `job` in a fresh child process and resolves with what it measured. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  const child = fork(import.meta.filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: LoadResult) => {
      resolve(m);
      child.disconnect();
    });
    child.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
    child.send(job);
  });
}

function once(agent: Agent, job: LoadJob, r: LoadRequest): Promise<string | undefined> {
  const url = new URL(r.path, job.origin);
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: r.method,
        headers: r.body === undefined ? r.headers : { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(res.statusCode === job.expectStatus && text.includes(job.expectText) ? undefined : `${res.statusCode ?? 0} ${text.slice(0, 200)}`);
        });
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.on('error', (err) => resolve(err.message));
    req.end(r.body);
  });
}

async function generate(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  let error: string | undefined;
  const lanes = async (count: number, samples: number[] | undefined): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        for (let i = next++; i < count && error === undefined; i = next++) {
          const r = job.requests[i % job.requests.length];
          if (r === undefined) return;
          const t = performance.now();
          const failed = await once(agent, job, r);
          if (failed !== undefined) error ??= failed;
          samples?.push(performance.now() - t);
        }
      }),
    );
  };
  await lanes(job.warmUp, undefined);
  const samples: number[] = [];
  const t0 = performance.now();
  await lanes(job.total, samples);
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { samples, seconds, ...(error === undefined ? {} : { error }) };
}

if (process.argv[2] === '--child') {
  process.once('message', (job: LoadJob) => {
    void generate(job).then((result) => process.send?.(result));
  });
}

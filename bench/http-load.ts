// A small HTTP load generator that runs in its own process (forked by a bench section), so the
// client's own work (building requests, parsing responses) does not share the event loop of the
// server it measures. It shares the machine's cores with the server, so it is kept cheap: one
// keep-alive connection per lane over a plain socket, each request's bytes built once, and a
// minimal HTTP/1.1 response reader (status line, Content-Length, body) instead of node:http's
// client, which cost ~3× the CPU per request. Every response is still read to its end and checked
// (status and a marker in the body); anything it does not understand (no Content-Length, a closed
// connection) is reported as an error, never skipped. Talks to its parent over IPC: one `LoadJob`
// in, one `LoadResult` out.
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';

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
  /** Response body bytes received in the timed part. */
  readonly bytes: number;
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

/** A request's bytes, built once (not per send). */
function encode(origin: URL, r: LoadRequest): Buffer {
  const body = r.body === undefined ? undefined : Buffer.from(r.body, 'utf8');
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${origin.host}`, 'Connection: keep-alive'];
  for (const [name, value] of Object.entries(r.headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.byteLength}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body === undefined ? head : Buffer.concat([head, body]);
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/iu;

/** One keep-alive connection: sends a request, reads its whole response, checks it. */
class Lane {
  readonly #socket: Socket;
  readonly #job: LoadJob;
  readonly #marker: Buffer;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: ((outcome: number | string) => void) | null = null;
  #failure: string | null = null;

  constructor(origin: URL, job: LoadJob) {
    this.#job = job;
    this.#marker = Buffer.from(job.expectText, 'utf8');
    this.#socket = connect({ host: origin.hostname, port: Number(origin.port), noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.byteLength === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#read();
    });
    const fail = (why: string): void => {
      this.#failure ??= why;
      this.#settle(why);
    };
    this.#socket.on('error', (err) => fail(err.message));
    this.#socket.on('close', () => fail('the server closed the connection'));
  }

  send(bytes: Buffer): Promise<number | string> {
    if (this.#failure !== null) return Promise.resolve(this.#failure);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#socket.write(bytes);
    });
  }

  close(): void {
    this.#socket.removeAllListeners('close');
    this.#socket.destroy();
  }

  #settle(outcome: number | string): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.(outcome);
  }

  /** A whole response in the buffer: the body's size if it is as expected, else what was wrong. */
  #read(): void {
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd + 2);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    if (length === undefined) {
      this.#failure = `a response without Content-Length: ${head.slice(0, 200)}`;
      return this.#settle(this.#failure);
    }
    const bodyStart = headerEnd + HEADER_END.byteLength;
    const end = bodyStart + Number(length);
    if (this.#buffer.byteLength < end) return;
    const status = Number(head.slice(9, 12));
    const ok = status === this.#job.expectStatus && this.#buffer.subarray(bodyStart, end).includes(this.#marker);
    const outcome = ok ? end - bodyStart : `${status} ${this.#buffer.toString('utf8', bodyStart, Math.min(end, bodyStart + 200))}`;
    // No pipelining: nothing should follow; anything that does is kept for the next read.
    this.#buffer = this.#buffer.subarray(end);
    this.#settle(outcome);
  }
}

async function generate(job: LoadJob): Promise<LoadResult> {
  const origin = new URL(job.origin);
  const prepared = job.requests.map((r) => encode(origin, r));
  const lanes = Array.from({ length: job.concurrency }, () => new Lane(origin, job));
  let error: string | undefined;
  let bytes = 0;
  const run = async (count: number, samples: number[] | undefined): Promise<void> => {
    let next = 0;
    await Promise.all(
      lanes.map(async (lane) => {
        for (let i = next++; i < count && error === undefined; i = next++) {
          const r = prepared[i % prepared.length];
          if (r === undefined) return;
          const t = performance.now();
          const outcome = await lane.send(r);
          samples?.push(performance.now() - t);
          if (typeof outcome === 'string') error ??= outcome;
          else if (samples !== undefined) bytes += outcome;
        }
      }),
    );
  };
  await run(job.warmUp, undefined);
  const samples: number[] = [];
  const t0 = performance.now();
  await run(job.total, samples);
  const seconds = (performance.now() - t0) / 1000;
  for (const lane of lanes) lane.close();
  return { samples, seconds, bytes, ...(error === undefined ? {} : { error }) };
}

if (process.argv[2] === '--child') {
  process.once('message', (job: LoadJob) => {
    void generate(job).then((result) => process.send?.(result));
  });
}

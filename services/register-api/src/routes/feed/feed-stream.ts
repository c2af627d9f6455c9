import { PassThrough, type Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SNAPSHOT_BUFFER, snapshotGzip, type SnapshotWriter } from './snapshot-cache.js';

/** Rows per cursor fetch: fewer round trips, each a few MB at most. */
export const FETCH_ROWS = 10_000;
/** Text gathered before a write: one write per this many bytes, not per line. */
const WRITE_BYTES = 256 * 1024;

/** One line per row, handed to `write` in pieces of about WRITE_BYTES: one write per piece, not per line. */
export async function writeLines<Row>(
  rows: Iterable<Row> | AsyncIterable<Row>, line: (row: Row) => string, write: (text: string) => Promise<void>,
): Promise<void> {
  let chunk = '';
  for await (const row of rows) {
    chunk += line(row);
    if (chunk.length >= WRITE_BYTES) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
}

/** The headers of every feed body, streamed or served from the copy on disk. */
export function feedHeaders(reply: FastifyReply, contentType: string, gzip: boolean): void {
  reply.header('content-type', contentType).header('cache-control', 'no-store').header('vary', 'accept-encoding');
  if (gzip) reply.header('content-encoding', 'gzip');
}

export function acceptsGzip(request: FastifyRequest): boolean {
  return /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
}

/**
 * One streamed feed response: identity or gzip as the client accepts, and also into the files
 * of a snapshot cache writer when given one. Every write waits for the slowest stream, so
 * memory stays flat; if the client goes away, everything is torn down and the writer's files
 * are dropped, and the next write rejects (so a transaction feeding it ends).
 */
export class FeedStream {
  readonly body = new PassThrough({ highWaterMark: SNAPSHOT_BUFFER });
  readonly #reply: FastifyReply;
  readonly #gzip: boolean;
  #outs: Writable[] = [];
  #writer: SnapshotWriter | undefined;
  #finished = false;

  constructor(request: FastifyRequest, reply: FastifyReply, contentType: string) {
    this.#reply = reply;
    this.#gzip = acceptsGzip(request);
    feedHeaders(reply, contentType, this.#gzip);
    reply.raw.once('close', () => {
      if (!this.#finished) this.fail(new Error('client went away'));
    });
  }

  /** Once the version is known, before the first write. */
  open(version: number, writer?: SnapshotWriter): void {
    this.#reply.header('x-register-version', String(version));
    this.#writer = writer;
    this.#outs = writer ? [writer.identity] : [];
    if (!this.#gzip) {
      this.#outs.push(this.body);
      return;
    }
    // One compressor: what it produces goes to the client and, when kept, to the gzip file.
    const z = snapshotGzip();
    z.pipe(this.body);
    writer?.keepCompressed(z);
    this.#outs.push(z);
  }

  async write(text: string | Buffer): Promise<void> {
    if (text.length === 0) return;
    if (this.#outs.length === 1) return write(this.#outs[0]!, text);
    // Encoded once, not once per stream.
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    await Promise.all(this.#outs.map((out) => write(out, bytes)));
  }

  async end(): Promise<void> {
    this.#finished = true;
    for (const out of this.#outs) out.end();
    await this.#writer?.commit();
  }

  fail(err: Error): void {
    this.#finished = true;
    for (const out of this.#outs) out.destroy(err);
    this.body.destroy(err);
    this.#writer?.abort();
  }
}

/** Writes with backpressure; rejects when the stream is torn down, so a producer never waits forever. */
export async function write(out: Writable, text: string | Buffer): Promise<void> {
  if (out.destroyed) throw new Error('client went away');
  if (out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = () => { cleanup(); resolve(); };
    const fail = () => { cleanup(); reject(new Error('client went away')); };
    const cleanup = () => { out.off('drain', done); out.off('close', fail); out.off('error', fail); };
    out.once('drain', done);
    out.once('close', fail);
    out.once('error', fail);
  });
}

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { MAX_MESSAGE } from '../dns/wire/constants.js';
import { dispatch } from './dispatch.js';
import { ConnectionDrain, listenOn } from '../util/listen.js';

const IDLE_MS = 10_000;
/** Queries one connection may have outstanding before we stop reading from it (RFC 7766 6.2.1.1). */
const MAX_PENDING = 64;

/**
 * DNS over TCP (RFC 7766): length-prefixed messages, several per connection, answered as
 * they complete (out of order is allowed). A slow or silent client costs one idle timer per
 * connection, not per query.
 */
export async function startTcp(
  host: string, port: number, pipeline: Pipeline, log: Logger,
): Promise<{ port: number; close(graceMs?: number): Promise<void> }> {
  const server = net.createServer({ noDelay: true }, (sock) => {
    sock.setTimeout(IDLE_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    let acc: Buffer = Buffer.alloc(0);
    let pending = 0;
    const reply = (chunks: Uint8Array[] | null): void => {
      pending--;
      if (pending < MAX_PENDING && sock.isPaused()) sock.resume();
      if (chunks !== null && !sock.destroyed) {
        let size = 0;
        for (const c of chunks) size += c.length;
        const len = Buffer.allocUnsafe(2);
        len.writeUInt16BE(size, 0);
        sock.cork();
        sock.write(len);
        for (const c of chunks) sock.write(c);
        sock.uncork();
      }
      drain.end(sock);
    };
    sock.on('data', (chunk: Buffer) => {
      acc = acc.length === 0 ? chunk : Buffer.concat([acc, chunk]);
      // Draining: answer what is in flight, read nothing new.
      if (drain.draining) return;
      while (acc.length >= 2) {
        const n = acc.readUInt16BE(0);
        if (acc.length < 2 + n) break;
        // Each message gets its own bytes: answers are written by editing them in place.
        const msg = Buffer.from(acc.subarray(2, 2 + n));
        acc = acc.subarray(2 + n);
        if (n === 0) continue;
        pending++;
        drain.begin(sock);
        const q = new Query(msg, 'tcp', MAX_MESSAGE, performance.now());
        dispatch(pipeline, q, reply, log);
      }
      if (pending >= MAX_PENDING) sock.pause();
    });
  });
  const drain = new ConnectionDrain(server);
  server.on('error', (err) => log.warn({ err }, 'tcp server error'));
  const bound = await listenOn(server, port, host);
  return { port: bound, close: (graceMs?: number) => drain.drain(graceMs) };
}

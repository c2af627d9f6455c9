import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query, type Answer } from '../dns/pipeline/types.js';
import { CLASSIC_UDP_SIZE, HEADER_SIZE } from '../dns/wire/constants.js';
import { dispatchPending } from './dispatch.js';
import type { UdpBatchBinding, UdpBatchHandle } from './udp-batch-binding.js';

export interface BatchedUdpListener {
  port: number;
  /** [received, sent, send errors, oversized, batches] since the socket opened. */
  stats(): number[];
  close(): Promise<void>;
}

/**
 * DNS over UDP through the batching addon: the kernel fills `inBuf` with up to BATCH
 * datagrams, `onBatch` runs each through the pipeline and packs the synchronous answers
 * (blocked, cached, malformed: nearly all of them under load) into `outBuf` for one sendmmsg.
 * Answers that go upstream keep a copy of their client's address and leave on their own.
 *
 * Under cluster, every worker binds its own socket with SO_REUSEPORT, so the kernel spreads
 * clients over the workers without a shared socket.
 */
export function startBatchedUdp(
  addon: UdpBatchBinding, host: string, port: number, reusePort: boolean, pipeline: Pipeline, log: Logger,
  opts: { outBytes?: number } = {},
): BatchedUdpListener {
  const { BATCH, SLOT, ADDR_SLOT, META_REPLIES, META_INTS } = addon;
  const inBuf = Buffer.allocUnsafeSlow(BATCH * SLOT);
  const metaBuf = Buffer.allocUnsafeSlow(META_INTS * 4);
  const meta = new Int32Array(metaBuf.buffer, metaBuf.byteOffset, META_INTS);
  const addrs = Buffer.allocUnsafeSlow(BATCH * ADDR_SLOT);
  const outBuf = Buffer.allocUnsafeSlow(opts.outBytes ?? BATCH * SLOT);
  let handle: UdpBatchHandle | undefined;
  let closed = false;

  const sendLater = (chunks: Uint8Array[] | null, addr: Buffer, addrLen: number): void => {
    if (!chunks || closed || !handle) return;
    const err = addon.sendTo(handle, chunks, addr, addrLen);
    if (err !== 0) log.debug({ errno: err }, 'could not send a reply');
  };

  const onBatch = (count: number): number => {
    // One clock read per batch: the datagrams of a batch arrived together.
    const now = performance.now();
    let replies = 0;
    let outAt = 0;
    for (let i = 0; i < count; i++) {
      // A datagram cut at SLOT bytes keeps only its header: the parse stage answers FORMERR.
      const len = meta[i * 4 + 2] === 0 ? meta[i * 4]! : Math.min(meta[i * 4]!, HEADER_SIZE);
      const addrLen = meta[i * 4 + 1]!;
      // A copy of its own: the slot is refilled by the next batch while an upstream query waits.
      const msg = Buffer.allocUnsafe(len);
      inBuf.copy(msg, 0, i * SLOT, i * SLOT + len);
      let a: Answer | Promise<Answer>;
      try {
        a = pipeline(new Query(msg, 'udp', CLASSIC_UDP_SIZE, now));
      } catch (err) {
        log.error({ err }, 'query pipeline threw');
        continue;
      }
      if (a instanceof Promise) {
        const addr = Buffer.allocUnsafe(addrLen);
        addrs.copy(addr, 0, i * ADDR_SLOT, i * ADDR_SLOT + addrLen);
        dispatchPending(a, (chunks) => sendLater(chunks, addr, addrLen), log);
        continue;
      }
      const chunks = a.chunks;
      if (!chunks) continue;
      let size = 0;
      for (let k = 0; k < chunks.length; k++) size += chunks[k]!.length;
      if (outAt + size > outBuf.length) {
        // Only large EDNS answers overflow the batch buffer: those go out now, on their own.
        sendLater(chunks, addrs.subarray(i * ADDR_SLOT, i * ADDR_SLOT + addrLen), addrLen);
        continue;
      }
      const start = outAt;
      for (let k = 0; k < chunks.length; k++) {
        const c = chunks[k]!;
        outBuf.set(c, outAt);
        outAt += c.length;
      }
      const m = META_REPLIES + replies * 4;
      meta[m] = start;
      meta[m + 1] = size;
      meta[m + 2] = i;
      replies++;
    }
    return replies;
  };

  handle = addon.open(host, port, reusePort, inBuf, metaBuf, addrs, outBuf, onBatch);
  const h = handle;
  return {
    port: addon.port(h),
    stats: () => addon.stats(h),
    close: async () => {
      if (closed) return;
      closed = true;
      addon.close(h);
    },
  };
}

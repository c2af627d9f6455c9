import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { CLASSIC_UDP_SIZE } from '../dns/wire/constants.js';
import { dispatchPending } from './dispatch.js';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { UdpBatchBinding } from './udp-batch-binding.js';
import { startBatchedUdp } from './udp-batched.js';

export interface UdpListener {
  port: number;
  /** 'batched' (recvmmsg/sendmmsg addon) or 'dgram'. */
  mode: 'batched' | 'dgram';
  /** The addon's running totals, on the batched path. */
  stats?: () => number[];
  close(): Promise<void>;
}

export interface UdpOptions {
  /** The batching addon, when it is to be used. */
  batch?: UdpBatchBinding | null | undefined;
  /** Cluster workers bind the port each with SO_REUSEPORT (batched sockets only). */
  reusePort?: boolean;
}

/** DNS over UDP: batched through the addon when there is one, else dgram. */
export async function startUdp(
  host: string, port: number, pipeline: Pipeline, log: Logger, opts: UdpOptions = {},
): Promise<UdpListener> {
  if (opts.batch) {
    const l = startBatchedUdp(opts.batch, host === 'localhost' ? '127.0.0.1' : host, port, opts.reusePort ?? false, pipeline, log);
    return { port: l.port, mode: 'batched', stats: l.stats, close: () => l.close() };
  }
  return startDgramUdp(host, port, pipeline, log);
}

/**
 * DNS over dgram. Under cluster, every worker binds the same port and the primary's one socket
 * is shared, so the kernel spreads datagrams over the workers (Node 20 has no usable
 * reusePort). Replies go out as the list of buffers the pipeline produced: no concatenation.
 */
async function startDgramUdp(host: string, port: number, pipeline: Pipeline, log: Logger): Promise<UdpListener> {
  const sock = dgram.createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    // Replies go to the address a datagram came from, always an IP literal: without this, Node
    // runs dns.lookup and defers every send by a tick (the benchmark measured +16 % per core).
    lookup: (address, options, cb) => {
      const family = isIP(address);
      if (family !== 0) cb(null, address, family);
      else dnsLookup(address, options, cb);
    },
  });
  const send = (chunks: Uint8Array[] | null, port: number, address: string): void => {
    if (!chunks) return;
    try { sock.send(chunks, port, address); } catch (err) { log.debug({ err }, 'could not send a reply'); }
  };
  let lastErrorLog = 0;
  sock.on('error', (err) => {
    // Send errors (EMSGSIZE, ECONNREFUSED from ICMP) are per datagram: note them, go on.
    const now = Date.now();
    if (now - lastErrorLog > 10_000) { lastErrorLog = now; log.warn({ err }, 'udp socket error'); }
  });
  sock.on('message', (msg, rinfo) => {
    const q = new Query(msg, 'udp', CLASSIC_UDP_SIZE, performance.now());
    // Blocked and cached answers come back synchronously: send them here, with no closure per
    // query; only the upstream path goes through dispatch and its promise.
    let a: ReturnType<Pipeline>;
    try {
      a = pipeline(q);
    } catch (err) {
      log.error({ err }, 'query pipeline threw');
      return;
    }
    if (a instanceof Promise) dispatchPending(a, (chunks) => send(chunks, rinfo.port, rinfo.address), log);
    else send(a.chunks, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => { sock.off('error', reject); resolve(); });
  });
  return {
    port: sock.address().port,
    mode: 'dgram',
    close: () => new Promise<void>((resolve) => { try { sock.close(() => resolve()); } catch { resolve(); } }),
  };
}

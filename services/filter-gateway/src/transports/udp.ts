import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Pipeline } from '../dns/pipeline/build-pipeline.js';
import { Query } from '../dns/pipeline/types.js';
import { CLASSIC_UDP_SIZE } from '../dns/wire/constants.js';
import { dispatch } from './dispatch.js';

/**
 * DNS over UDP. Under cluster, every worker binds the same port and the primary's one socket
 * is shared, so the kernel spreads datagrams over the workers (Node 20 has no usable
 * reusePort). Replies go out as the list of buffers the pipeline produced: no concatenation.
 */
export async function startUdp(
  host: string, port: number, pipeline: Pipeline, log: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  let lastErrorLog = 0;
  sock.on('error', (err) => {
    // Send errors (EMSGSIZE, ECONNREFUSED from ICMP) are per datagram: note them, go on.
    const now = Date.now();
    if (now - lastErrorLog > 10_000) { lastErrorLog = now; log.warn({ err }, 'udp socket error'); }
  });
  sock.on('message', (msg, rinfo) => {
    const q = new Query(msg, 'udp', CLASSIC_UDP_SIZE, performance.now());
    dispatch(pipeline, q, (chunks) => { if (chunks) sock.send(chunks, rinfo.port, rinfo.address); }, log);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => { sock.off('error', reject); resolve(); });
  });
  return {
    port: sock.address().port,
    close: () => new Promise<void>((resolve) => { try { sock.close(() => resolve()); } catch { resolve(); } }),
  };
}

import cluster from 'node:cluster';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import type { DnsCore } from './dns/dns-core.js';
import { ConnectionMetrics } from './observability/connection-metrics.js';
import { registerUdpBatchMetrics } from './observability/udp-batch-metrics.js';
import { ensureSelfSignedPair } from './tls/self-signed.js';
import { TlsCredentials } from './tls/tls-credentials.js';
import { DnsStreamConnections } from './transports/dns-stream-connections.js';
import { startDoh } from './transports/doh.js';
import { startDot } from './transports/dot.js';
import { startTcp, type StreamListener } from './transports/tcp.js';
import { startUdp, type UdpListener } from './transports/udp.js';
import { udpBatchBinding } from './transports/udp-batch-binding.js';

export interface DnsListeners {
  udpPort: number;
  udpMode: UdpListener['mode'];
  tcpPort: number;
  dotPort: number;
  dohPort: number;
  /** Whether DoH speaks TLS (false with DOH_PLAIN=1). */
  dohTls: boolean;
  tls: TlsCredentials;
  /** Stops accepting everywhere, then ends open connections (stream listeners give a grace second). */
  close(): Promise<void>;
}

/** The certificate files: configured, or the self-signed pair kept under the data directory. */
export async function tlsFiles(cfg: GatewayConfig): Promise<{ certFile: string; keyFile: string }> {
  if (cfg.tlsCertFile && cfg.tlsKeyFile) return { certFile: cfg.tlsCertFile, keyFile: cfg.tlsKeyFile };
  return ensureSelfSignedPair(path.join(cfg.dataDir, 'tls'));
}

/**
 * Every DNS listener of one process around one DNS core: UDP and TCP on DNS_PORT, DoT on
 * DOT_PORT, DoH on DOH_PORT. The composition lives here, beside gateway.ts and services.ts,
 * so the DNS core imports no transport.
 */
export async function startDnsListeners(
  cfg: GatewayConfig, core: DnsCore, registry: Registry, log: Logger,
): Promise<DnsListeners> {
  const metrics = new ConnectionMetrics(registry);
  const files = await tlsFiles(cfg);
  const tls = new TlsCredentials(files.certFile, files.keyFile, log.child({ component: 'tls' }));
  const tcpConns = new DnsStreamConnections('tcp', cfg.stream, core.pipeline, core.clock, metrics, log);
  const dotConns = new DnsStreamConnections('dot', cfg.stream, core.pipeline, core.clock, metrics, log);
  const started: { close(): Promise<void> }[] = [];
  try {
    const { udp, tcp } = await startUdpAndTcp(cfg, core, tcpConns, log);
    started.push(udp, tcp);
    if (udp.stats) registerUdpBatchMetrics(registry, udp.stats);
    const dot = await startDot(cfg.host, cfg.dotPort, tls, cfg.stream.handshakeTimeoutMs, dotConns, metrics, log);
    started.push(dot);
    const doh = await startDoh({
      host: cfg.host, port: cfg.dohPort, tls: cfg.dohPlain ? undefined : tls,
      idleTimeoutMs: cfg.stream.idleTimeoutMs, handshakeTimeoutMs: cfg.stream.handshakeTimeoutMs,
      maxConnections: cfg.stream.maxConnections, maxConnectionsPerClient: cfg.stream.maxConnectionsPerClient,
      metrics,
    }, core.pipeline, log);
    started.push(doh);
    return {
      udpPort: udp.port,
      udpMode: udp.mode,
      tcpPort: tcp.port,
      dotPort: dot.port,
      dohPort: doh.port,
      dohTls: !cfg.dohPlain,
      tls,
      async close() {
        await Promise.all(started.map((s) => s.close()));
        tls.close();
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    tls.close();
    throw err;
  }
}

/**
 * UDP and TCP on one port. With port 0 (tests) TCP follows the port UDP was given; when
 * that TCP port happens to be taken, try another pair rather than fail.
 *
 * Cluster workers with batched UDP each bind the port themselves (SO_REUSEPORT); with port 0
 * each would get a port of its own, so there they share the primary's dgram socket instead.
 */
async function startUdpAndTcp(
  cfg: GatewayConfig, core: DnsCore, conns: DnsStreamConnections, log: Logger,
): Promise<{ udp: UdpListener; tcp: StreamListener }> {
  const inCluster = cluster.isWorker;
  const batch = inCluster && cfg.dnsPort === 0 ? null : udpBatchBinding(cfg.udpBatch);
  for (let attempt = 0; ; attempt++) {
    const udp = await startUdp(cfg.host, cfg.dnsPort, core.pipeline, log, { batch, reusePort: inCluster });
    try {
      return { udp, tcp: await startTcp(cfg.host, udp.port, conns) };
    } catch (err) {
      await udp.close();
      if (cfg.dnsPort !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

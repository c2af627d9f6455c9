import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from '../config.js';
import { DnsMetrics } from '../observability/dns-metrics.js';
import { registerRuleSetMetrics } from '../observability/rule-set-metrics.js';
import { registerUdpBatchMetrics } from '../observability/udp-batch-metrics.js';
import { startDoh } from '../transports/doh.js';
import { startTcp } from '../transports/tcp.js';
import { startUdp, type UdpListener } from '../transports/udp.js';
import { udpBatchBinding } from '../transports/udp-batch-binding.js';
import cluster from 'node:cluster';
import { CoarseClock } from '../util/clock.js';
import { Deadlines } from '../util/deadlines.js';
import { AnswerCache } from './cache/answer-cache.js';
import { BlockResponder } from './pipeline/block-responder.js';
import { buildPipeline, type Pipeline } from './pipeline/build-pipeline.js';
import { Query } from './pipeline/types.js';
import type { RuleSet } from './rules/rule-set.js';
import { RandomIds } from './upstream/random-ids.js';
import { UpstreamPool } from './upstream/upstream-pool.js';
import { FLAG_RD, MAX_MESSAGE, TYPE_A, TYPE_AAAA } from './wire/constants.js';
import { readAddresses } from './wire/read-addresses.js';
import { encodeName } from './wire/synthetic-records.js';

type Listener = { port: number; close(): Promise<void> };

/**
 * UDP and TCP on one port. With port 0 (tests) TCP follows the port UDP was given; when
 * that TCP port happens to be taken, try another pair rather than fail.
 *
 * Cluster workers with batched UDP each bind the port themselves (SO_REUSEPORT); with port 0
 * each would get a port of its own, so there they share the primary's dgram socket instead.
 */
async function startUdpAndTcp(cfg: GatewayConfig, pipeline: Pipeline, log: Logger): Promise<{ udp: UdpListener; tcp: Listener }> {
  const inCluster = cluster.isWorker;
  const batch = inCluster && cfg.dnsPort === 0 ? null : udpBatchBinding(cfg.udpBatch);
  for (let attempt = 0; ; attempt++) {
    const udp = await startUdp(cfg.host, cfg.dnsPort, pipeline, log, { batch, reusePort: inCluster });
    try {
      return { udp, tcp: await startTcp(cfg.host, udp.port, pipeline, log) };
    } catch (err) {
      await udp.close();
      if (cfg.dnsPort !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
}

export interface DnsService {
  udpPort: number;
  udpMode: UdpListener['mode'];
  tcpPort: number;
  dohPort: number;
  pipeline: Pipeline;
  cache: AnswerCache;
  /** A and AAAA of a name through the same pipeline as clients (blocking and cache included). */
  resolveAddresses(name: string): Promise<string[]>;
  close(): Promise<void>;
}

/** The DNS side of one process: pipeline plus UDP, TCP and DoH listeners. */
export async function startDnsService(
  cfg: GatewayConfig, rules: RuleSet, registry: Registry, log: Logger,
): Promise<DnsService> {
  const clock = new CoarseClock();
  clock.start();
  const stopExpiry = clock.onTick((now) => rules.expire(now));
  const deadlines = new Deadlines(clock);
  const cache = new AnswerCache(cfg.cacheMaxEntries);
  const metrics = new DnsMetrics(registry, () => cache.size);
  registerRuleSetMetrics(registry, rules);
  const pool = new UpstreamPool({
    upstreams: cfg.upstreams,
    attemptTimeoutMs: cfg.upstreamAttemptTimeoutMs,
    totalTimeoutMs: cfg.upstreamTotalTimeoutMs,
    onError: (up, reason) => metrics.upstreamError(up.label, reason),
  }, clock, deadlines);
  const responder = new BlockResponder({
    mode: cfg.blockMode, sinkholeV4: cfg.sinkholeV4, sinkholeV6: cfg.sinkholeV6, publicBaseUrl: cfg.publicBaseUrl,
  });
  const pipeline = buildPipeline({
    rules, responder, cache, pool, clock, metrics,
    queryLog: cfg.logQueries ? log.child({ component: 'query' }) : undefined,
  });

  const started: { close(): Promise<void> }[] = [];
  try {
    const { udp, tcp } = await startUdpAndTcp(cfg, pipeline, log);
    started.push(udp, tcp);
    if (udp.stats) registerUdpBatchMetrics(registry, udp.stats);
    const doh = await startDoh(cfg.host, cfg.dohPort, pipeline, log);
    started.push(doh);

    const ids = new RandomIds();
    const ask = async (name: string, qtype: number): Promise<string[]> => {
      const qname = encodeName(name);
      const msg = Buffer.alloc(12 + qname.length + 4);
      msg.writeUInt16BE(ids.next(), 0);
      msg.writeUInt16BE(FLAG_RD, 2);
      msg.writeUInt16BE(1, 4);
      qname.copy(msg, 12);
      msg.writeUInt16BE(qtype, 12 + qname.length);
      msg.writeUInt16BE(1, 14 + qname.length);
      const a = await pipeline(new Query(msg, 'internal', MAX_MESSAGE, performance.now()));
      return a.chunks ? readAddresses(Buffer.concat(a.chunks)) : [];
    };

    return {
      udpPort: udp.port,
      udpMode: udp.mode,
      tcpPort: tcp.port,
      dohPort: doh.port,
      pipeline,
      cache,
      async resolveAddresses(name: string) {
        const [v4, v6] = await Promise.all([ask(name, TYPE_A), ask(name, TYPE_AAAA)]);
        return [...v4, ...v6];
      },
      async close() {
        await Promise.all(started.map((s) => s.close()));
        stopExpiry();
        deadlines.close();
        clock.stop();
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    deadlines.close();
    clock.stop();
    throw err;
  }
}

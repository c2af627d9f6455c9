import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import { createDnsCore, type DnsCore } from './dns/dns-core.js';
import { startDnsListeners, type DnsListeners } from './dns-listeners.js';
import type { RuleSet } from './dns/rules/rule-set.js';
import { createSniChecker } from './sni/sni-checker.js';
import { createBlockPageServer } from './blockpage/block-page-server.js';
import { createEntryDetails } from './blockpage/entry-details.js';
import { createQuicChecker } from './quic/quic-checker.js';

export interface Services {
  dns: DnsListeners & { resolveAddresses: DnsCore['resolveAddresses']; core: DnsCore };
  close(): Promise<void>;
}

/**
 * Everything that serves clients in one process, against one RuleSet: DNS (UDP, TCP, DoT, DoH),
 * the SNI checker, the QUIC Initial checker and the 451 block page. The single-process gateway and each cluster worker
 * call it. SNI and the block page resolve names through the DNS service's own pipeline, so
 * they see exactly the answers (and the blocks) clients see.
 */
export async function startServices(
  cfg: GatewayConfig, rules: RuleSet, registry: Registry, log: Logger,
): Promise<Services> {
  const dnsLog = log.child({ component: 'dns' });
  const core = createDnsCore(cfg, rules, registry, dnsLog);
  let listeners: DnsListeners;
  try {
    listeners = await startDnsListeners(cfg, core, registry, dnsLog);
  } catch (err) {
    core.close();
    throw err;
  }
  const dns = Object.assign(listeners, { resolveAddresses: core.resolveAddresses, core });
  const closeDns = async (): Promise<void> => {
    await listeners.close();
    core.close();
  };
  const resolve = (name: string) => dns.resolveAddresses(name);
  const getMatcher = () => rules.matcher;
  const sni = createSniChecker({
    host: cfg.host,
    port: cfg.sniPort,
    getMatcher,
    resolve,
    ...(cfg.sniForwardTarget ? { forwardTarget: cfg.sniForwardTarget } : {}),
    allowInsideDestinations: cfg.relayAllowPrivate,
    registry,
    logger: log.child({ component: 'sni' }),
  });
  // Under cluster one worker owns the UDP port (exclusive bind), so a flow's datagrams share a table.
  const quic = createQuicChecker({
    host: cfg.host, port: cfg.quicPort, getMatcher, resolve, exclusive: cluster.isWorker,
    ...(cfg.quicForwardTarget ? { forwardTarget: cfg.quicForwardTarget } : {}),
    allowInsideDestinations: cfg.relayAllowPrivate, registry, logger: log.child({ component: 'quic' }),
  });
  const blockPage = createBlockPageServer({
    host: cfg.host,
    port: cfg.blockpagePort,
    getMatcher,
    entryDetails: createEntryDetails({ registerUrl: cfg.registerUrl }),
    publicBaseUrl: cfg.publicBaseUrl,
    resolve,
    allowInsideDestinations: cfg.relayAllowPrivate,
    registry,
    logger: log.child({ component: 'blockpage' }),
  });
  try {
    await sni.listen();
    await blockPage.listen();
    await quic.listen();
  } catch (err) {
    await Promise.allSettled([sni.close(), blockPage.close(), quic.close(), closeDns()]);
    throw err;
  }
  return {
    dns,
    async close() {
      // Every listener drains at once, so the stop takes one drain grace, not one per service;
      // the DNS core (which SNI and the block page resolve through) goes last.
      await Promise.allSettled([sni.close(), blockPage.close(), quic.close(), listeners.close()]);
      core.close();
    },
  };
}

import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlpnClass } from './client-hello-parser.js';

export type SniResult =
  | 'allowed' | 'blocked' | 'no_route' | 'upstream_error'
  | 'not_tls' | 'malformed' | 'too_large' | 'timeout' | 'closed_early' | 'inside';
const RESULTS: readonly SniResult[] = ['allowed', 'blocked', 'no_route', 'upstream_error', 'not_tls', 'malformed', 'too_large', 'timeout', 'closed_early', 'inside'];

export type HelloFeature = 'ech' | 'esni' | 'no_sni' | 'ip_literal' | 'invalid_name';
const FEATURES: readonly HelloFeature[] = ['ech', 'esni', 'no_sni', 'ip_literal', 'invalid_name'];
const ALPNS: readonly AlpnClass[] = ['h2', 'http/1.1', 'other', 'none'];

/** Label children resolved once, so counting on the hot path is a field increment. */
export interface SniMetrics {
  result: Record<SniResult, { inc(): void }>;
  feature: Record<HelloFeature, { inc(): void }>;
  alpn: Record<AlpnClass, { inc(): void }>;
  relays: Gauge;
}

export function createSniMetrics(registry: Registry): SniMetrics {
  const connections = counter(registry, 'tizilim_gateway_sni_connections_total', 'TLS connections seen by the SNI checker, by outcome', 'result');
  const features = counter(registry, 'tizilim_gateway_sni_hello_features_total', 'ClientHellos with ECH, ESNI, no SNI, an IP literal or an invalid name', 'feature');
  const alpn = counter(registry, 'tizilim_gateway_sni_alpn_total', 'ClientHellos by first ALPN protocol offered', 'protocol');
  const relays = (registry.getSingleMetric('tizilim_gateway_sni_relays_active') as Gauge | undefined)
    ?? new Gauge({ name: 'tizilim_gateway_sni_relays_active', help: 'Allowed TLS connections being relayed now', registers: [registry] });
  return {
    result: children(connections, RESULTS),
    feature: children(features, FEATURES),
    alpn: children(alpn, ALPNS),
    relays,
  };
}

function counter(registry: Registry, name: string, help: string, label: string): Counter<string> {
  // The gateway may build a checker twice on one registry (restart in tests); reuse, not throw.
  return (registry.getSingleMetric(name) as Counter<string> | undefined)
    ?? new Counter({ name, help, labelNames: [label], registers: [registry] });
}

function children<K extends string>(c: Counter<string>, keys: readonly K[]): Record<K, { inc(): void }> {
  const out = {} as Record<K, { inc(): void }>;
  for (const k of keys) out[k] = c.labels(k);
  return out;
}

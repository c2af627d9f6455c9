import { Counter, Gauge, type Registry } from 'prom-client';
import type { UnreadableReason } from './initial-reader.js';

/** How a flow ended its check: the decision, or why there was nothing to decide on. */
export type QuicOutcome =
  | 'allowed' | 'blocked' | 'inside' | 'no_route' | 'upstream_error' | 'no_sni' | 'invalid_name'
  | 'timeout' | 'flow_cap' | 'buffer_cap' | 'short_datagram'
  /** A relayed flow whose client began another connection on the same address and port: read afresh. */
  | 'restarted'
  | UnreadableReason;

const OUTCOMES: readonly QuicOutcome[] = [
  'allowed', 'blocked', 'inside', 'no_route', 'upstream_error', 'no_sni', 'invalid_name',
  'timeout', 'flow_cap', 'buffer_cap', 'short_datagram',
  'version_negotiation', 'reserved_version', 'gquic', 'unknown_version', 'not_initial', 'truncated', 'bad_cid',
  'undecryptable', 'malformed', 'connection_close', 'not_client_hello', 'bad_hello', 'too_large', 'conflict', 'restarted',
];

export interface QuicMetrics {
  outcome: Record<QuicOutcome, { inc(): void }>;
  /** Flows in the table now (reading, relaying or remembered as dropped). */
  flows: Gauge;
  /** Origin bytes dropped because an unvalidated client had not earned them and the queue was full (RFC 9000 §8.1). */
  amplificationHeld: { inc(n: number): void };
  ech: { inc(): void };
}

export function createQuicMetrics(registry: Registry): QuicMetrics {
  const flows = counter(registry, 'tizilim_gateway_quic_flows_total', 'QUIC flows seen by the Initial checker, by outcome', ['result']);
  const held = counter(registry, 'tizilim_gateway_quic_amplification_held_bytes_total', 'Origin bytes dropped for a client address not yet validated (never more than it sent)', []);
  const ech = counter(registry, 'tizilim_gateway_quic_ech_total', 'QUIC ClientHellos offering ECH (decided on the outer name)', []);
  const active = (registry.getSingleMetric('tizilim_gateway_quic_flows_active') as Gauge | undefined)
    ?? new Gauge({ name: 'tizilim_gateway_quic_flows_active', help: 'QUIC flows held by the Initial checker now', registers: [registry] });
  const outcome = {} as Record<QuicOutcome, { inc(): void }>;
  for (const o of OUTCOMES) outcome[o] = flows.labels(o);
  return { outcome, flows: active, amplificationHeld: held, ech };
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (registry.getSingleMetric(name) as Counter<string> | undefined)
    ?? new Counter({ name, help, labelNames, registers: [registry] });
}

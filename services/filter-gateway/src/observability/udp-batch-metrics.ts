import { Counter, type Registry } from 'prom-client';

/** Reads the addon's running totals: [received, sent, send errors, oversized, batches]. */
export type UdpBatchStats = () => number[];

const SERIES = [
  { index: 0, name: 'dns_udp_datagrams_received_total', help: 'Datagrams taken from the batched UDP socket' },
  { index: 4, name: 'dns_udp_receive_batches_total', help: 'recvmmsg calls that returned datagrams; received / batches is the mean batch size' },
  { index: 2, name: 'dns_udp_send_errors_total', help: 'Replies the batched UDP socket could not send (full socket buffer, unreachable client)' },
  { index: 3, name: 'dns_udp_oversized_total', help: 'Datagrams longer than a receive slot, answered FORMERR from their header' },
] as const;

/**
 * Metrics of the batched UDP path, read from the addon when scraped: nothing per datagram
 * in JavaScript. Absent on the dgram path.
 */
export function registerUdpBatchMetrics(registry: Registry, stats: UdpBatchStats): void {
  const flushed = new Float64Array(5);
  for (const s of SERIES) {
    new Counter({
      name: s.name,
      help: s.help,
      registers: [registry],
      collect() {
        const now = stats()[s.index]!;
        this.inc(now - flushed[s.index]!);
        flushed[s.index] = now;
      },
    });
  }
}

import { Counter, type Registry } from 'prom-client';

export type BlockPageResult = 'blocked' | 'proxied' | 'origin_error' | 'bad_request' | 'loop' | 'inside';
const RESULTS: readonly BlockPageResult[] = ['blocked', 'proxied', 'origin_error', 'bad_request', 'loop', 'inside'];

export function createBlockPageMetrics(registry: Registry): Record<BlockPageResult, { inc(): void }> {
  const name = 'tizilim_gateway_blockpage_requests_total';
  const c = (registry.getSingleMetric(name) as Counter<string> | undefined)
    ?? new Counter({ name, help: 'Requests to the block page, by outcome', labelNames: ['result'], registers: [registry] });
  const out = {} as Record<BlockPageResult, { inc(): void }>;
  for (const r of RESULTS) out[r] = c.labels(r);
  return out;
}

import { Gauge, type Registry } from 'prom-client';

/**
 * Memory outside the V8 heap that prom-client's defaults do not split out: the bytes held by
 * ArrayBuffers (every Buffer's backing store). RSS growing while heap and this stay flat points
 * at the allocator; RSS growing with this points at buffers kept alive (a cached slice pins its
 * whole slab).
 */
export function registerMemoryMetrics(registry: Registry): void {
  new Gauge({
    name: 'nodejs_array_buffers_bytes',
    help: 'Bytes allocated for ArrayBuffers and SharedArrayBuffers, Buffers included (process.memoryUsage().arrayBuffers).',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().arrayBuffers);
    },
  });
}

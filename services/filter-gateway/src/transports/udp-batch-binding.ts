import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** An open batched socket, as the addon hands it out (an opaque external). */
export type UdpBatchHandle = { readonly __udpBatch: unique symbol };

/** native/udp-batch.c: recvmmsg/sendmmsg on a SO_REUSEPORT socket, one call into JS per batch. */
export interface UdpBatchBinding {
  readonly BATCH: number;
  readonly SLOT: number;
  readonly ADDR_SLOT: number;
  readonly META_REPLIES: number;
  readonly META_INTS: number;
  open(
    host: string, port: number, reusePort: boolean, inBuf: Buffer, meta: Buffer, addrs: Buffer, out: Buffer,
    onBatch: (count: number) => number,
  ): UdpBatchHandle;
  port(h: UdpBatchHandle): number;
  /** Returns 0, or the errno of a failed send. */
  sendTo(h: UdpBatchHandle, chunks: Uint8Array[], addr: Buffer, addrLen: number): number;
  /** [received, sent, send errors, oversized, batches] */
  stats(h: UdpBatchHandle): number[];
  close(h: UdpBatchHandle): void;
}

const addonPath = fileURLToPath(new URL('../../native/build/udp-batch.node', import.meta.url));
let loaded: UdpBatchBinding | null | undefined;

/**
 * The addon for this mode (GATEWAY_UDP_BATCH), or null for dgram. `npm start` and `npm test`
 * build it first (native/build-native.mjs); `auto` quietly uses dgram when it was not built.
 */
export function udpBatchBinding(mode: 'auto' | 'on' | 'off'): UdpBatchBinding | null {
  if (mode === 'off') return null;
  if (loaded === undefined) {
    loaded = null;
    if (process.platform === 'linux' && existsSync(addonPath)) {
      loaded = createRequire(import.meta.url)(addonPath) as UdpBatchBinding;
    }
  }
  if (!loaded && mode === 'on') {
    throw new Error(`GATEWAY_UDP_BATCH=on, but ${addonPath} is not built: run node services/filter-gateway/native/build-native.mjs`);
  }
  return loaded;
}

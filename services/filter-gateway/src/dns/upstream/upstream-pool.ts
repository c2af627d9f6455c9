import type { CoarseClock } from '../../util/clock.js';
import type { Deadlines } from '../../util/deadlines.js';
import { FLAG_CD, FLAG_RD, HEADER_SIZE } from '../wire/constants.js';
import { plainOpt } from '../wire/opt-record.js';
import { scanResponse, type ScannedResponse } from '../wire/scan-response.js';
import type { Query, UpstreamResult } from '../pipeline/types.js';
import { RandomIds } from './random-ids.js';
import { tcpExchange } from './tcp-exchange.js';
import { udpExchange, UpstreamTimeout } from './udp-exchange.js';
import type { UpstreamAddress } from './upstream-address.js';

export interface UpstreamPoolOptions {
  upstreams: UpstreamAddress[];
  /** One attempt at one upstream. */
  attemptTimeoutMs: number;
  /** Everything for one question; after it the client gets SERVFAIL. */
  totalTimeoutMs: number;
  onError?: (upstream: UpstreamAddress, reason: 'timeout' | 'error' | 'malformed') => void;
}

/**
 * Forwards a question to the configured resolvers in turn until one answers. The one that
 * answered last is tried first next time, so a dead first upstream costs one timeout per
 * outage rather than one per query.
 */
export class UpstreamPool {
  readonly #ids = new RandomIds();
  #preferred = 0;

  constructor(
    private readonly opts: UpstreamPoolOptions,
    private readonly clock: CoarseClock,
    private readonly deadlines: Deadlines,
  ) {
    if (opts.upstreams.length === 0) throw new Error('no upstreams');
  }

  async resolve(q: Query): Promise<UpstreamResult | undefined> {
    const query = buildUpstreamQuery(q);
    const question = query.subarray(HEADER_SIZE, HEADER_SIZE + q.questionEnd - HEADER_SIZE);
    const n = this.opts.upstreams.length;
    const overall = this.clock.now + this.opts.totalTimeoutMs;
    const first = this.#preferred;
    for (let k = 0; k < n; k++) {
      const now = this.clock.now;
      if (now >= overall) break;
      const idx = (first + k) % n;
      const up = this.opts.upstreams[idx]!;
      const deadline = Math.min(overall, now + this.opts.attemptTimeoutMs);
      const id = this.#ids.next();
      query.writeUInt16BE(id, 0);
      let scanned: ScannedResponse | undefined;
      const accept = (resp: Buffer): boolean => {
        scanned = scanResponse(resp, id, question);
        return scanned !== undefined;
      };
      try {
        let wire = await udpExchange(up, query, deadline, this.deadlines, accept);
        if (scanned!.truncated) {
          const tcpId = this.#ids.next();
          query.writeUInt16BE(tcpId, 0);
          wire = await tcpExchange(up, query, deadline, this.deadlines, (resp) => {
            scanned = scanResponse(resp, tcpId, question);
            return scanned !== undefined;
          });
        }
        this.#preferred = idx;
        return { wire, ttlOffsets: scanned!.ttlOffsets, cacheTtl: scanned!.cacheTtl, checkedBy: null, checkedHandle: -1 };
      } catch (err) {
        this.opts.onError?.(up, err instanceof UpstreamTimeout ? 'timeout' : 'error');
      }
    }
    return undefined;
  }
}

/**
 * Our own query rather than the client's bytes: only what the cache key covers reaches the
 * upstream (question, RD, CD, EDNS with DO), so a cached answer is right for every client
 * with that key; client cookies and other options stay with us.
 */
function buildUpstreamQuery(q: Query): Buffer {
  const qlen = q.questionEnd - HEADER_SIZE;
  const opt = q.hasEdns ? plainOpt(q.ednsDo) : undefined;
  const out = Buffer.alloc(HEADER_SIZE + qlen + (opt ? opt.length : 0));
  out.writeUInt16BE(FLAG_RD | (q.flags & FLAG_CD), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  q.buf.copy(out, HEADER_SIZE, HEADER_SIZE, q.questionEnd);
  if (opt) opt.copy(out, HEADER_SIZE + qlen);
  return out;
}

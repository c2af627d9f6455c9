import type { Matcher } from '@tizilim/shared';
import {
  RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA,
} from '../wire/constants.js';
import { writeResponseHeader } from '../wire/header.js';
import { CensoredOptCache } from '../wire/opt-record.js';
import { buildAddressRecord, buildSoaRecord } from '../wire/synthetic-records.js';
import type { Answer, Query } from './types.js';

export type BlockMode = 'nxdomain' | 'nodata' | 'sinkhole';

export interface BlockResponderOptions {
  mode: BlockMode;
  sinkholeV4?: Uint8Array | undefined;
  sinkholeV6?: Uint8Array | undefined;
  publicBaseUrl: string;
}

/**
 * Answers a blocked query from the query buffer plus records built once: the header is
 * edited in place, the question goes back as asked (case included), and the records are
 * shared buffers appended after it.
 */
export class BlockResponder {
  readonly #soa = buildSoaRecord(1);
  readonly #v4: Buffer | undefined;
  readonly #v6: Buffer | undefined;
  readonly #ede: CensoredOptCache;

  constructor(private readonly opts: BlockResponderOptions) {
    this.#v4 = opts.sinkholeV4 ? buildAddressRecord(opts.sinkholeV4) : undefined;
    this.#v6 = opts.sinkholeV6 ? buildAddressRecord(opts.sinkholeV6) : undefined;
    this.#ede = new CensoredOptCache(opts.publicBaseUrl);
  }

  answer(q: Query, matcher: Matcher, handle: number): Answer {
    const buf = q.buf;
    const head = buf.subarray(0, q.questionEnd);
    // RFC 8914 4: EDE rides in OPT, so only a client that sent OPT gets it.
    const opt = q.hasEdns ? this.#ede.get(matcher.entryOf(handle), q.ednsDo) : undefined;
    const ar = opt ? 1 : 0;
    if (this.opts.mode === 'sinkhole') {
      const rr = q.qtype === TYPE_A ? this.#v4 : q.qtype === TYPE_AAAA ? this.#v6 : undefined;
      if (rr) {
        writeResponseHeader(buf, q.flags, RCODE_NOERROR, 1, 1, 0, ar);
        return { kind: 'blocked', chunks: opt ? [head, rr, opt] : [head, rr] };
      }
      // Other types of a sinkholed name exist but are empty: NODATA, as a real zone would say.
    }
    const rcode = this.opts.mode === 'nxdomain' ? RCODE_NXDOMAIN : RCODE_NOERROR;
    writeResponseHeader(buf, q.flags, rcode, 1, 0, 1, ar);
    return { kind: 'blocked', chunks: opt ? [head, this.#soa, opt] : [head, this.#soa] };
  }
}

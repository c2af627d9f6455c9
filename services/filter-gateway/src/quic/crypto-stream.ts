/**
 * The Initial CRYPTO stream reassembled from CRYPTO frames (RFC 9000 §19.6) that arrive out
 * of order, overlapping, duplicated, and spread over packets and datagrams (RFC 9001 §4.1.3:
 * "CRYPTO frames can be sent … out of order"). Bounded: bytes beyond `limit` are refused, and
 * memory is one buffer of at most `limit` bytes plus a list of received ranges.
 */
export class CryptoStream {
  readonly #limit: number;
  #buf: Uint8Array = new Uint8Array(0);
  /** Sorted, disjoint [start, end) ranges received. */
  #ranges: number[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Adds `data` at `offset`: 'ok'; 'too_large' when it would pass the limit (the flow is too
   * large to check); 'conflict' when it overlaps bytes already received with different ones.
   */
  add(offset: number, data: Uint8Array): 'ok' | 'too_large' | 'conflict' {
    const end = offset + data.length;
    if (end > this.#limit) return 'too_large';
    if (data.length === 0) return 'ok';
    if (end > this.#buf.length) {
      const grown = new Uint8Array(Math.min(this.#limit, Math.max(end, this.#buf.length * 2, 2048)));
      grown.set(this.#buf);
      this.#buf = grown;
    }
    // Retransmissions carry the same bytes. Different bytes at an offset already received are
    // how a second hello would be smuggled past the one we decided on: the first copy stays
    // (as in a TLS stack that has consumed it) and the caller is told.
    const r = this.#ranges;
    let pos = offset;
    let i = 0;
    let conflict = false;
    while (pos < end) {
      while (i < r.length && r[i + 1]! <= pos) i += 2;
      const gapEnd = i < r.length ? Math.min(end, r[i]!) : end;
      if (gapEnd > pos) this.#buf.set(data.subarray(pos - offset, gapEnd - offset), pos);
      if (i < r.length && gapEnd < end) {
        const overlapEnd = Math.min(end, r[i + 1]!);
        for (let q = Math.max(pos, r[i]!); q < overlapEnd && !conflict; q++) if (this.#buf[q] !== data[q - offset]) conflict = true;
      }
      pos = i < r.length ? Math.max(gapEnd, r[i + 1]!) : end;
    }
    this.#insertRange(offset, end);
    return conflict ? 'conflict' : 'ok';
  }

  /** Bytes readable from offset 0 without a gap. */
  get contiguous(): number {
    return this.#ranges.length > 0 && this.#ranges[0] === 0 ? this.#ranges[1]! : 0;
  }

  /** The first `length` bytes; only valid when `contiguous >= length`. */
  bytes(start: number, end: number): Uint8Array {
    return this.#buf.subarray(start, end);
  }

  #insertRange(s: number, e: number): void {
    const r = this.#ranges;
    const out: number[] = [];
    let i = 0;
    while (i < r.length && r[i + 1]! < s) { out.push(r[i]!, r[i + 1]!); i += 2; }
    let ns = s;
    let ne = e;
    while (i < r.length && r[i]! <= ne) { ns = Math.min(ns, r[i]!); ne = Math.max(ne, r[i + 1]!); i += 2; }
    out.push(ns, ne);
    while (i < r.length) { out.push(r[i]!, r[i + 1]!); i += 2; }
    this.#ranges = out;
  }
}

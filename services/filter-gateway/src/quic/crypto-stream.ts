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

  /** Adds `data` at `offset`; false when it would pass the limit (the flow is too large to check). */
  add(offset: number, data: Uint8Array): boolean {
    const end = offset + data.length;
    if (end > this.#limit) return false;
    if (data.length === 0) return true;
    if (end > this.#buf.length) {
      const grown = new Uint8Array(Math.min(this.#limit, Math.max(end, this.#buf.length * 2, 2048)));
      grown.set(this.#buf);
      this.#buf = grown;
    }
    // Retransmissions carry the same bytes; where they differ, the first copy wins, as in a
    // TLS stack that has already consumed it.
    const r = this.#ranges;
    let pos = offset;
    let i = 0;
    while (pos < end) {
      while (i < r.length && r[i + 1]! <= pos) i += 2;
      const gapEnd = i < r.length ? Math.min(end, r[i]!) : end;
      if (gapEnd > pos) this.#buf.set(data.subarray(pos - offset, gapEnd - offset), pos);
      pos = i < r.length ? Math.max(gapEnd, r[i + 1]!) : end;
    }
    this.#insertRange(offset, end);
    return true;
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

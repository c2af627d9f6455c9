import { EDE_CENSORED, EDNS_OPTION_EDE, OUR_UDP_PAYLOAD, TYPE_OPT } from './constants.js';

/**
 * OPT records for our own replies. They depend only on DO, the extended rcode and the EDE
 * text, so they are built once and shared: the blocked path appends a ready buffer instead
 * of writing bytes per query.
 */
export function buildOpt(doBit: boolean, extRcodeHigh = 0, ede?: { code: number; text: string }): Buffer {
  const text = ede ? Buffer.from(ede.text, 'utf8') : undefined;
  const rdlen = text ? 4 + 2 + text.length : 0;
  const b = Buffer.alloc(11 + rdlen);
  // b[0] = 0: the root owner name.
  b.writeUInt16BE(TYPE_OPT, 1);
  b.writeUInt16BE(OUR_UDP_PAYLOAD, 3);
  b[5] = extRcodeHigh;
  b[6] = 0; // version
  b[7] = doBit ? 0x80 : 0;
  b[8] = 0;
  b.writeUInt16BE(rdlen, 9);
  if (text && ede) {
    b.writeUInt16BE(EDNS_OPTION_EDE, 11);
    b.writeUInt16BE(2 + text.length, 13);
    b.writeUInt16BE(ede.code, 15);
    text.copy(b, 17);
  }
  return b;
}

export const PLAIN_OPT = buildOpt(false);
export const PLAIN_OPT_DO = buildOpt(true);
export const BADVERS_OPT = buildOpt(false, 1);

export function plainOpt(doBit: boolean): Buffer {
  return doBit ? PLAIN_OPT_DO : PLAIN_OPT;
}

/**
 * EDE 16 "Censored" per register entry. Entries are few compared with queries, so a bounded
 * map turns the text building into a one-off per entry; it is cleared wholesale when full
 * rather than tracking recency, which would cost on every hit.
 */
export class CensoredOptCache {
  readonly #byKey = new Map<number, Buffer>();

  constructor(
    private readonly publicBaseUrl: string,
    private readonly max = 10_000,
  ) {}

  get(entry: number, doBit: boolean): Buffer {
    const key = entry * 2 + (doBit ? 1 : 0);
    let b = this.#byKey.get(key);
    if (b === undefined) {
      if (this.#byKey.size >= this.max) this.#byKey.clear();
      b = buildOpt(doBit, 0, { code: EDE_CENSORED, text: censoredText(this.publicBaseUrl, entry) });
      this.#byKey.set(key, b);
    }
    return b;
  }
}

export function censoredText(publicBaseUrl: string, entry: number): string {
  return `Tizilim register entry ${entry}: ${publicBaseUrl}/public/v1/log/${entry}`;
}

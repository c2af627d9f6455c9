import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  CLASS_ANY, RCODE_NOTAUTH, TSIG_BADKEY, TSIG_BADSIG, TSIG_BADTIME, TYPE_TSIG,
} from './xfr-constants.js';
import type { TsigKey } from './tsig-keys.js';
import { nameToWire, readName } from './wire-names.js';

/** Transaction signatures, RFC 8945, with hmac-sha256 (the one algorithm the design names). */

export const HMAC_SHA256 = 'hmac-sha256.';
const ALGORITHM_WIRE = nameToWire(HMAC_SHA256);
const MAC_SIZE = 32;
/** RFC 8945 §10 recommends 300 s. */
export const FUDGE_SECONDS = 300;
/** Room a TSIG record takes at the end of a message: name ≤ 255, fixed 10, rdata ≤ 255 + 16 + 32 + 6. */
export const TSIG_ROOM = 600;

export type TsigFailure = 'badkey' | 'badsig' | 'badtime' | 'replay' | 'badalg' | 'formerr';

export interface TsigVerified {
  ok: true;
  key: TsigKey;
  /** The request's MAC, which the first response's digest starts with (§5.3). */
  mac: Buffer;
}
export interface TsigRefused {
  ok: false;
  failure: TsigFailure;
  keyName: string;
  /** Set when the key and MAC were good (BADTIME): the error answer is then signed (§5.2.3). */
  key?: TsigKey;
  mac?: Buffer;
}

/**
 * Seen request MACs, kept for twice the fudge: a request captured and sent again inside the
 * time window is refused like a stale one (RFC 8945 §5.2.3 leaves replay protection to the
 * server; the MAC covers the random message ID, so honest retries never collide).
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  #lastSweep = 0;

  constructor(private readonly maxEntries = 100_000) {}

  /** True when this MAC was seen before; remembers it otherwise. */
  check(mac: Buffer, nowSec: number): boolean {
    if (nowSec - this.#lastSweep > FUDGE_SECONDS) this.#sweep(nowSec);
    const k = mac.toString('base64');
    if (this.#seen.has(k)) return true;
    if (this.#seen.size >= this.maxEntries) this.#sweep(nowSec, true);
    this.#seen.set(k, nowSec);
    return false;
  }

  #sweep(nowSec: number, hard = false): void {
    this.#lastSweep = nowSec;
    for (const [k, t] of this.#seen) if (hard || nowSec - t > 2 * FUDGE_SECONDS) this.#seen.delete(k);
  }
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** The message as digested: TSIG removed, ARCOUNT one less, the original ID in the header. */
function strippedMessage(msg: Uint8Array, tsigStart: number, originalId: number): Buffer {
  const m = Buffer.from(msg.subarray(0, tsigStart));
  m.writeUInt16BE(originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

/** TSIG variables (§4.3.3): name, class, TTL, algorithm, time, fudge, error, other. */
function variables(keyWire: Buffer, time: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([keyWire, u16(CLASS_ANY), Buffer.alloc(4), ALGORITHM_WIRE, u48(time), u16(fudge), u16(error), u16(other.length), other]);
}

/** Checks the TSIG at the end of a query (§5.2): key, then MAC, then time, then replay. */
export function verifyRequest(
  msg: Uint8Array, tsigStart: number, keys: ReadonlyMap<string, TsigKey>, nowSec: number, replay: ReplayGuard,
): TsigVerified | TsigRefused {
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  let keyName = '?';
  try {
    const owner = readName(buf, tsigStart);
    keyName = owner.name;
    // Class ANY and TTL 0 (§4.2) are digested as constants, so other values would pass unsigned.
    if (buf.readUInt16BE(owner.end + 2) !== CLASS_ANY || buf.readUInt32BE(owner.end + 4) !== 0) return { ok: false, failure: 'formerr', keyName };
    let off = owner.end + 8; // type, class, TTL
    const rdlen = buf.readUInt16BE(off);
    off += 2;
    const rdEnd = off + rdlen;
    const alg = readName(buf, off);
    off = alg.end;
    const time = buf.readUIntBE(off, 6);
    const fudge = buf.readUInt16BE(off + 6);
    const macSize = buf.readUInt16BE(off + 8);
    off += 10;
    const mac = buf.subarray(off, off + macSize);
    off += macSize;
    const originalId = buf.readUInt16BE(off);
    const error = buf.readUInt16BE(off + 2);
    const otherLen = buf.readUInt16BE(off + 4);
    const other = buf.subarray(off + 6, off + 6 + otherLen);
    if (off + 6 + otherLen !== rdEnd || rdEnd > buf.length || mac.length !== macSize) return { ok: false, failure: 'formerr', keyName };
    const key = keys.get(keyName);
    if (!key) return { ok: false, failure: 'badkey', keyName };
    if (alg.name !== HMAC_SHA256) return { ok: false, failure: 'badalg', keyName };
    // Only full-length MACs: truncation (§5.2.2.1) buys nothing here and widens forgery odds.
    if (macSize !== MAC_SIZE) return { ok: false, failure: 'badsig', keyName };
    const expected = createHmac('sha256', key.secret)
      .update(strippedMessage(buf, tsigStart, originalId))
      .update(variables(key.nameWire, time, fudge, error, other))
      .digest();
    if (!timingSafeEqual(expected, mac)) return { ok: false, failure: 'badsig', keyName };
    const copy = Buffer.from(mac);
    if (Math.abs(nowSec - time) > fudge) return { ok: false, failure: 'badtime', keyName, key, mac: copy };
    if (replay.check(copy, nowSec)) return { ok: false, failure: 'replay', keyName, key, mac: copy };
    return { ok: true, key, mac: copy };
  } catch {
    return { ok: false, failure: 'formerr', keyName };
  }
}

/** The TSIG RR itself (§4.2), appended by the caller, who also adds one to ARCOUNT. */
function tsigRecord(keyWire: Buffer, time: number, mac: Buffer, originalId: number, error: number, other: Buffer): Buffer {
  const rdata = Buffer.concat([ALGORITHM_WIRE, u48(time), u16(FUDGE_SECONDS), u16(mac.length), mac, u16(originalId), u16(error), u16(other.length), other]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE_TSIG, 0);
  head.writeUInt16BE(CLASS_ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([keyWire, head, rdata]);
}

function withRecord(msg: Buffer, record: Buffer): Buffer {
  const out = Buffer.concat([msg, record]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/**
 * Signs a sequence of response messages to one request (§5.3): the first digests the request
 * MAC and the full variables, every later one the prior MAC and the timers only (§5.3.1).
 * Every message is signed, which §5.3.1 allows and every secondary accepts.
 */
export class TsigSigner {
  #prior: Buffer;
  #first = true;

  constructor(private readonly key: TsigKey, requestMac: Buffer, private readonly originalId: number) {
    this.#prior = requestMac;
  }

  sign(msg: Buffer, nowSec: number, error = 0, other: Buffer = Buffer.alloc(0)): Buffer {
    const h = createHmac('sha256', this.key.secret).update(u16(this.#prior.length)).update(this.#prior).update(msg);
    if (this.#first) h.update(variables(this.key.nameWire, nowSec, FUDGE_SECONDS, error, other));
    else h.update(Buffer.concat([u48(nowSec), u16(FUDGE_SECONDS)]));
    const mac = h.digest();
    this.#first = false;
    this.#prior = mac;
    return withRecord(msg, tsigRecord(this.key.nameWire, nowSec, mac, this.originalId, error, other));
  }
}

/** Signs a request we send (NOTIFY, §5.1); returns the message and its MAC. */
export function signRequest(msg: Buffer, key: TsigKey, nowSec: number): { message: Buffer; mac: Buffer } {
  const id = msg.readUInt16BE(0);
  const mac = createHmac('sha256', key.secret).update(msg).update(variables(key.nameWire, nowSec, FUDGE_SECONDS, 0, Buffer.alloc(0))).digest();
  return { message: withRecord(msg, tsigRecord(key.nameWire, nowSec, mac, id, 0, Buffer.alloc(0))), mac };
}

/**
 * The answer to a request whose TSIG failed (§5.2): NOTAUTH with the TSIG error. BADKEY and
 * BADSIG carry an empty MAC (the key cannot be trusted); BADTIME is signed and tells the
 * client our clock in Other Data.
 */
export function tsigErrorResponse(header: Buffer, refused: TsigRefused, nowSec: number, originalId: number): Buffer {
  const msg = Buffer.from(header);
  msg.writeUInt16BE((msg.readUInt16BE(2) & ~0x000f) | RCODE_NOTAUTH, 2);
  if ((refused.failure === 'badtime' || refused.failure === 'replay') && refused.key && refused.mac) {
    return new TsigSigner(refused.key, refused.mac, originalId).sign(msg, nowSec, TSIG_BADTIME, u48(nowSec));
  }
  const keyWire = (() => { try { return nameToWire(refused.keyName); } catch { return Buffer.from([0]); } })();
  const error = refused.failure === 'badsig' ? TSIG_BADSIG : TSIG_BADKEY;
  return withRecord(msg, tsigRecord(keyWire, nowSec, Buffer.alloc(0), originalId, error, Buffer.alloc(0)));
}

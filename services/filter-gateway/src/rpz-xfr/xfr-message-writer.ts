import { RPZ_NS, RPZ_SOA, RPZ_TTL, type RpzRecord } from '@tizilim/shared';
import { CLASS_IN, FLAG_AA, FLAG_QR, MAX_XFR_MESSAGE, TYPE_CNAME, TYPE_NS, TYPE_SOA } from './xfr-constants.js';
import { TSIG_ROOM } from './tsig.js';
import { nameToWire, writeRelativeLabels } from './wire-names.js';

const SOA_NAMES = Buffer.concat([nameToWire(RPZ_SOA.mname), nameToWire(RPZ_SOA.rname)]);
const NS_NAME = nameToWire(RPZ_NS);
const PASSTHRU = nameToWire('rpz-passthru.');
/** A CNAME record at most: owner ≤ 255, fixed 10, target ≤ 14. */
const MAX_RECORD = 255 + 10 + 16;
/** Pointer to the question's name at offset 12: every owner ends with the zone origin. */
const ORIGIN_POINTER = 0xc00c;

export type MessageSink = (message: Buffer) => void | Promise<void>;

/**
 * 64 KB build buffers, reused from answer to answer. A writer builds in one and hands the
 * sink an exact-size copy, so an SOA answer or a one-change IXFR allocates a few hundred
 * bytes from Node's buffer pool instead of two fresh 64 KB backing stores: that external
 * memory counted toward V8's next full collection of a heap holding the 1M-rule map, which
 * put tens of milliseconds into the IXFR tail (bench/rpz/RESULTS-rpz.md).
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 8;

function takeBuffer(): Buffer {
  return spareBuffers.pop() ?? Buffer.allocUnsafeSlow(MAX_XFR_MESSAGE);
}

function returnBuffer(b: Buffer): void {
  if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(b);
}

/**
 * Answers of a zone transfer as DNS messages of at most 64 KB (RFC 5936 §2.2), written
 * straight into the message buffer: owners as labels plus one pointer to the question's
 * origin, so no record object or name string is built per record. Every message repeats the
 * question (§2.2.1), which is what the pointer points at.
 */
export class XfrMessageWriter {
  #buf: Buffer | undefined = takeBuffer();
  #off = 0;
  #count = 0;
  #messages = 0;
  #bytes = 0;
  #total = 0;
  /** Records that could not be written (a malformed owner); counted, never sent half-written. */
  skipped = 0;
  readonly #limit: number;

  constructor(
    private readonly id: number,
    private readonly question: Uint8Array,
    private readonly originWireLength: number,
    private readonly sink: MessageSink,
    signed: boolean,
    private readonly rcode = 0,
  ) {
    this.#limit = MAX_XFR_MESSAGE - (signed ? TSIG_ROOM : 0);
    this.#start();
  }

  get messages(): number { return this.#messages; }
  get bytes(): number { return this.#bytes; }
  get records(): number { return this.#total; }

  /** The build buffer; a writer that has ended (or never will again) has none. */
  get #b(): Buffer {
    if (!this.#buf) throw new Error('XFR message writer used after end()');
    return this.#buf;
  }

  #start(): void {
    const b = this.#b;
    b.writeUInt16BE(this.id, 0);
    b.writeUInt16BE(FLAG_QR | FLAG_AA | this.rcode, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt32BE(0, 6); // ANCOUNT and NSCOUNT
    b.writeUInt16BE(0, 10);
    b.set(this.question, 12);
    this.#off = 12 + this.question.length;
    this.#count = 0;
  }

  async #room(): Promise<void> {
    if (this.#off + MAX_RECORD > this.#limit) await this.flush();
  }

  /** Sends the message being built (if it holds records) and starts the next. */
  async flush(): Promise<void> {
    if (this.#count === 0) return;
    await this.#send();
  }

  /**
   * Sends what is pending; an answer that has sent nothing yet goes out even empty (an error).
   * The build buffer goes back for the next answer; a writer whose transfer was aborted just
   * drops its buffer.
   */
  async end(): Promise<void> {
    if (this.#count > 0 || this.#messages === 0) await this.#send();
    const b = this.#buf;
    this.#buf = undefined;
    if (b) returnBuffer(b);
  }

  /** Sends an exact-size copy of the message being built and starts the next in the same buffer. */
  async #send(): Promise<void> {
    const b = this.#b;
    b.writeUInt16BE(this.#count, 6);
    const msg = Buffer.from(b.subarray(0, this.#off));
    this.#messages++;
    this.#bytes += msg.length;
    this.#start();
    await this.sink(msg);
  }

  #fixed(type: number, rdlen: number): void {
    const b = this.#b;
    let o = this.#off;
    b.writeUInt16BE(type, o); o += 2;
    b.writeUInt16BE(CLASS_IN, o); o += 2;
    b.writeUInt32BE(RPZ_TTL, o); o += 4;
    b.writeUInt16BE(rdlen, o); o += 2;
    this.#off = o;
  }

  async soa(serial: number): Promise<void> {
    await this.#room();
    const b = this.#b;
    b.writeUInt16BE(ORIGIN_POINTER, this.#off);
    this.#off += 2;
    this.#fixed(TYPE_SOA, SOA_NAMES.length + 20);
    SOA_NAMES.copy(b, this.#off);
    let o = this.#off + SOA_NAMES.length;
    for (const v of [serial, RPZ_SOA.refresh, RPZ_SOA.retry, RPZ_SOA.expire, RPZ_SOA.minimum]) { b.writeUInt32BE(v >>> 0, o); o += 4; }
    this.#off = o;
    this.#count++;
    this.#total++;
  }

  async ns(): Promise<void> {
    await this.#room();
    const b = this.#b;
    b.writeUInt16BE(ORIGIN_POINTER, this.#off);
    this.#off += 2;
    this.#fixed(TYPE_NS, NS_NAME.length);
    NS_NAME.copy(b, this.#off);
    this.#off += NS_NAME.length;
    this.#count++;
    this.#total++;
  }

  /** One policy record; false (and counted) when its owner cannot be a DNS name under the origin. */
  async record(r: RpzRecord): Promise<boolean> {
    await this.#room();
    const b = this.#b;
    const start = this.#off;
    const end = writeRelativeLabels(b, start, r.owner);
    // Owner labels + the origin must fit 255 octets (RFC 1035 §2.3.4).
    if (end < 0 || end - start + this.originWireLength > 255) { this.skipped++; return false; }
    b.writeUInt16BE(ORIGIN_POINTER, end);
    this.#off = end + 2;
    if (r.action === 'nxdomain') {
      this.#fixed(TYPE_CNAME, 1);
      b[this.#off++] = 0;
    } else {
      this.#fixed(TYPE_CNAME, PASSTHRU.length);
      PASSTHRU.copy(b, this.#off);
      this.#off += PASSTHRU.length;
    }
    this.#count++;
    this.#total++;
    return true;
  }
}

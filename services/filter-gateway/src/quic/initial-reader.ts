import { parseClientHelloBody, type ClientHelloInfo } from '../sni/client-hello-parser.js';
import { CryptoStream } from './crypto-stream.js';
import { removeHeaderProtection } from './header-protection.js';
import { deriveClientInitialKeys, type InitialKeys } from './initial-keys.js';
import { readInitialFrames } from './initial-frames.js';
import { readLongHeader } from './long-header.js';
import { openInitialPayload } from './packet-decrypt.js';
import { quicVersionSpec, unreadableVersionReason, type QuicVersionSpec, type UnreadableVersion } from './quic-versions.js';

/**
 * Why a flow's Initials give no name. Each is final: the checker drops the flow and the client
 * falls back to TCP, where the SNI checker decides (DESIGN "Every rule kind, every transport").
 */
export type UnreadableReason =
  | UnreadableVersion
  | 'not_initial' // the flow opens with a short header or a non-Initial long-header packet
  | 'truncated' // a header or Length that runs past the datagram
  | 'bad_cid' // a connection ID longer than 20 bytes (RFC 9000 §17.2)
  | 'undecryptable' // AEAD authentication fails with the Initial keys
  | 'malformed' // a frame not allowed in an Initial, or one that runs past its packet
  | 'connection_close' // the client closed before sending a hello
  | 'not_client_hello' // the CRYPTO stream does not start with a ClientHello
  | 'bad_hello' // a ClientHello the parser refuses (duplicate or broken server_name, …)
  | 'too_large' // a hello or CRYPTO data beyond the cap
  | 'conflict'; // CRYPTO bytes that differ from ones already received at the same offset

export type ReaderStatus = 'need_more' | 'done' | UnreadableReason;

export interface InitialReaderOptions {
  /** Largest ClientHello accepted (handshake header included). Default 16 KiB; PQ hellos are ~2 KiB. */
  maxHelloBytes?: number;
}

/** TLS handshake message type of a ClientHello (RFC 8446 §4). */
const CLIENT_HELLO = 1;

/**
 * Packets are unprotected in place: copy each one here first, so the datagram the checker
 * replays to the origin stays as the client sent it. The reader is synchronous, so one buffer
 * serves every flow.
 */
const scratch = Buffer.allocUnsafe(65536);

/**
 * Reads the client Initials of one flow, datagram by datagram, until the ClientHello is whole
 * (RFC 9001 §4.1.3: the hello may span packets, arrive out of order or be retransmitted).
 * Keys come from the DCID of the flow's first Initial (RFC 9001 §5.2), which stays the key
 * source even once the client switches to the server's connection ID; a later packet that does
 * not open with them is tried with its own DCID's keys. Pure: no I/O, no timers.
 */
export class InitialReader {
  readonly #maxHello: number;
  #stream: CryptoStream;
  #status: ReaderStatus = 'need_more';
  #info: ClientHelloInfo | undefined;
  #spec: QuicVersionSpec | undefined;
  #version = 0;
  #originalDcid: Uint8Array | undefined;
  /** Keys by version and DCID; a flow rarely needs more than two. */
  #keys = new Map<string, InitialKeys>();
  #opened = 0;
  /** Where the next handshake message starts in the CRYPTO stream, once a hello was read. */
  #helloEnd = 0;
  #hellos = 0;

  constructor(options: InitialReaderOptions = {}) {
    this.#maxHello = options.maxHelloBytes ?? 16384;
    this.#stream = new CryptoStream(this.#maxHello + 4096);
  }

  get status(): ReaderStatus { return this.#status; }
  get info(): ClientHelloInfo | undefined { return this.#info; }
  /** The QUIC version of the flow's first readable Initial (0 before). */
  get version(): number { return this.#version; }
  get versionName(): string | undefined { return this.#spec?.name; }
  /** Initial packets that decrypted. */
  get packetsOpened(): number { return this.#opened; }
  /** ClientHellos read: 2 after a HelloRetryRequest (RFC 8446 §4.1.4), whose second hello must be decided too. */
  get hellos(): number { return this.#hellos; }

  /**
   * Reads more of the flow. After 'done' it keeps reading (the checker feeds it the client's
   * Initials while it relays): 'done' stays, a second ClientHello replaces `info` and bumps
   * `hellos`, and bytes that contradict the stream end it with 'conflict'.
   */
  push(datagram: Uint8Array): ReaderStatus {
    if (this.#status === 'done' && this.#newVersion(datagram)) {
      // After Version Negotiation the client starts over in another version: a new hello.
      this.#restart();
      this.#status = 'need_more';
    }
    if (this.#status === 'done') {
      const r = this.#readDatagram(datagram);
      if (r === 'conflict' || r === 'too_large') this.#status = r;
      else this.#tryHello();
      return this.#status;
    }
    if (this.#status !== 'need_more') return this.#status;
    const openedBefore = this.#opened;
    const r = this.#readDatagram(datagram);
    if (r !== undefined) {
      // Once a datagram of the flow has opened, a later damaged or foreign one is ignored, not
      // fatal: an attacker who knows the 5-tuple could otherwise inject one to end the check.
      if (openedBefore === 0 || r === 'too_large' || r === 'conflict') this.#status = r;
      return this.#status;
    }
    this.#tryHello();
    return this.#status;
  }

  #readDatagram(datagram: Uint8Array): UnreadableReason | undefined {
    const n = datagram.length;
    if (n > scratch.length) return 'truncated';
    let p = 0;
    let sawInitial = false;
    let failure: UnreadableReason | undefined;
    // Coalesced packets (RFC 9000 §12.2): walk every long-header packet; a short-header packet
    // or padding ends the datagram.
    while (p < n) {
      const first = datagram[p]!;
      if ((first & 0x80) === 0) break;
      if (p + 5 > n) { failure ??= 'truncated'; break; }
      const version = ((datagram[p + 1]! << 24) | (datagram[p + 2]! << 16) | (datagram[p + 3]! << 8) | datagram[p + 4]!) >>> 0;
      const spec = quicVersionSpec(version);
      if (spec !== undefined && this.#opened > 0 && version !== this.#version && this.#status === 'need_more') {
        // A new version from the same client is a new connection after Version Negotiation
        // (RFC 9000 §6.2): the old one never started, so read the new one from scratch.
        this.#restart();
      }
      if (spec === undefined) {
        // Only the flow's first packet speaks for the flow.
        if (!sawInitial && this.#opened === 0) return unreadableVersionReason(version);
        break;
      }
      const h = readLongHeader(datagram, p, n, spec.initialType);
      if (typeof h === 'string') {
        if (!sawInitial) failure ??= h === 'short_header' ? 'not_initial' : h;
        break;
      }
      if (h.typeBits !== spec.initialType) {
        // 0-RTT or Handshake behind the Initial: not ours to read.
        if (!sawInitial && this.#opened === 0) failure ??= 'not_initial';
        p = h.end;
        continue;
      }
      sawInitial = true;
      const r = this.#readInitial(datagram, p, h.pnOffset, h.end, h.dcidStart, h.dcidLength, version, spec);
      if (r !== undefined) failure ??= r;
      p = h.end;
    }
    if (!sawInitial) return failure ?? 'not_initial';
    return failure;
  }

  #newVersion(d: Uint8Array): boolean {
    if (d.length < 5 || (d[0]! & 0x80) === 0) return false;
    const version = ((d[1]! << 24) | (d[2]! << 16) | (d[3]! << 8) | d[4]!) >>> 0;
    return version !== this.#version && quicVersionSpec(version) !== undefined;
  }

  #restart(): void {
    this.#stream = new CryptoStream(this.#maxHello + 4096);
    this.#originalDcid = undefined;
    this.#opened = 0;
    this.#helloEnd = 0;
  }

  #readInitial(d: Uint8Array, start: number, pnOffset: number, end: number, dcidStart: number, dcidLength: number, version: number, spec: QuicVersionSpec): UnreadableReason | undefined {
    const dcid = d.subarray(dcidStart, dcidStart + dcidLength);
    if (this.#originalDcid === undefined) {
      this.#originalDcid = Uint8Array.from(dcid);
      this.#version = version;
      this.#spec = spec;
    }
    const len = end - start;
    let payload = this.#open(d, start, pnOffset, end, len, version, spec, this.#originalDcid);
    if (payload === undefined && !sameBytes(dcid, this.#originalDcid)) {
      payload = this.#open(d, start, pnOffset, end, len, version, spec, dcid);
    }
    if (payload === undefined) return 'undecryptable';
    this.#opened++;
    const frames = readInitialFrames(payload, this.#stream);
    if (frames === 'ok') return undefined;
    return frames;
  }

  #open(d: Uint8Array, start: number, pnOffset: number, end: number, len: number, version: number, spec: QuicVersionSpec, dcid: Uint8Array): Buffer | undefined {
    const keys = this.#keysFor(version, spec, dcid);
    scratch.set(d.subarray(start, end), 0);
    const pnLength = removeHeaderProtection(scratch, 0, pnOffset - start, len, keys);
    if (pnLength === 0) return undefined;
    return openInitialPayload(scratch, 0, pnOffset - start, pnLength, len, keys);
  }

  #keysFor(version: number, spec: QuicVersionSpec, dcid: Uint8Array): InitialKeys {
    const id = version.toString(16) + ':' + Buffer.from(dcid.buffer, dcid.byteOffset, dcid.length).toString('hex');
    let k = this.#keys.get(id);
    if (k === undefined) {
      if (this.#keys.size >= 4) this.#keys.clear();
      k = deriveClientInitialKeys(spec, dcid);
      this.#keys.set(id, k);
    }
    return k;
  }

  #tryHello(): void {
    const at = this.#helloEnd;
    const have = this.#stream.contiguous;
    if (have < at + 4) return;
    const head = this.#stream.bytes(at, at + 4);
    if (head[0] !== CLIENT_HELLO) { this.#status = 'not_client_hello'; return; }
    const bodyLength = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
    if (at + bodyLength + 4 > this.#maxHello) { this.#status = 'too_large'; return; }
    if (have < at + 4 + bodyLength) return;
    const info = parseClientHelloBody(Uint8Array.from(this.#stream.bytes(at + 4, at + 4 + bodyLength)));
    if (info === undefined) { this.#status = 'bad_hello'; return; }
    this.#info = info;
    this.#helloEnd = at + 4 + bodyLength;
    this.#hellos++;
    this.#status = 'done';
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Incremental, bounded reader of a TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2).
 * Pure: bytes in, a verdict out; no I/O, no timers. The caller keeps the raw bytes for replay;
 * this only copies the handshake message when it is split across records or segments.
 */

/** `need_more`: feed more bytes. Every other status is final. */
export type HelloStatus = 'need_more' | 'done' | 'not_tls' | 'malformed' | 'too_large';

/** First ALPN protocol offered, reduced to a bounded set so it can label a counter. */
export type AlpnClass = 'h2' | 'http/1.1' | 'other' | 'none';

export interface ClientHelloInfo {
  /**
   * The host_name of the server_name extension as sent (bytes as Latin-1), or null when the
   * extension is absent or carries no host_name. With ECH this is the outer (public) name.
   */
  serverName: string | null;
  /** False when the name has bytes no host name or IP literal can contain. */
  serverNameValid: boolean;
  /** `legacy_record_version` of the first record, e.g. 0x0301. */
  recordVersion: number;
  /** `legacy_version` of the hello body, e.g. 0x0303. */
  legacyVersion: number;
  /** An encrypted_client_hello extension (0xfe0d or a draft code point) was offered. */
  ech: boolean;
  /** The old draft encrypted_server_name extension (0xffce) was offered. */
  esni: boolean;
  alpn: AlpnClass;
  /** The handshake message body and where the ALPN list sits in it, for {@link decodeAlpn}. */
  readonly message: Uint8Array;
  readonly alpnStart: number;
  readonly alpnEnd: number;
}

export interface ClientHelloParserOptions {
  /** Largest ClientHello handshake message accepted (header included). Default 16 KiB. */
  maxHelloBytes?: number;
  /**
   * Largest number of raw bytes read before the hello is complete. Record headers of a hello
   * split into many small records add up; default twice maxHelloBytes.
   */
  maxRawBytes?: number;
}

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
/** TLSPlaintext.length may not exceed 2^14 (RFC 8446 §5.1). */
const MAX_RECORD = 16384;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_ECH = 0xfe0d;
const EXT_ESNI = 0xffce;
/** Smallest body: version, random, empty session id, one suite, one compression method. */
const MIN_BODY = 2 + 32 + 1 + 2 + 2 + 1 + 1;

export class ClientHelloParser {
  readonly #maxHello: number;
  readonly #maxRaw: number;
  #status: HelloStatus = 'need_more';
  #info: ClientHelloInfo | undefined;
  #raw = 0;
  #records = 0;
  // Record header being read: position 0..5 and the fields collected so far.
  #hdrPos = 0;
  #recLenHi = 0;
  #recLeft = 0;
  #recordVersion = 0;
  // Handshake message being assembled: header position 0..4, then the body.
  #msgHdrPos = 0;
  #msgLen = 0;
  #msg: Uint8Array | undefined;
  #msgPos = 0;

  constructor(options: ClientHelloParserOptions = {}) {
    this.#maxHello = options.maxHelloBytes ?? 16384;
    this.#maxRaw = options.maxRawBytes ?? this.#maxHello * 2;
  }

  get status(): HelloStatus { return this.#status; }
  /** Set once the status is `done`. */
  get info(): ClientHelloInfo | undefined { return this.#info; }

  /** Feeds the next bytes of the stream. Bytes after a complete hello are ignored. */
  push(chunk: Uint8Array): HelloStatus {
    if (this.#status !== 'need_more') return this.#status;
    if (this.#raw === 0 && this.#tryWhole(chunk)) return this.#status;
    this.#raw += chunk.length;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#hdrPos < 5) {
        const b = chunk[i++]!;
        switch (this.#hdrPos) {
          case 0:
            // Anything but a handshake record before the hello is complete means this is not
            // a TLS client (first byte) or a broken one (records must not interleave).
            if (b !== CONTENT_HANDSHAKE) return this.#fail(this.#records === 0 ? 'not_tls' : 'malformed');
            break;
          case 1:
            if (b !== 3) return this.#fail(this.#records === 0 ? 'not_tls' : 'malformed');
            break;
          case 2:
            if (this.#records === 0) this.#recordVersion = 0x0300 | b;
            break;
          case 3:
            this.#recLenHi = b;
            break;
          case 4: {
            const len = (this.#recLenHi << 8) | b;
            // Zero-length handshake fragments are forbidden and would let a peer stall us
            // on headers alone.
            if (len === 0 || len > MAX_RECORD) return this.#fail(this.#records === 0 && len > MAX_RECORD ? 'not_tls' : 'malformed');
            this.#recLeft = len;
            this.#records++;
            break;
          }
        }
        this.#hdrPos++;
        continue;
      }
      const take = Math.min(this.#recLeft, n - i);
      const used = this.#consumeFragment(chunk, i, take);
      if (this.#status !== 'need_more') return this.#status;
      i += used;
      this.#recLeft -= used;
      if (this.#recLeft === 0) this.#hdrPos = 0;
    }
    if (this.#raw > this.#maxRaw) return this.#fail('too_large');
    return this.#status;
  }

  /** The common case: the first chunk holds a whole record holding the whole hello. */
  #tryWhole(chunk: Uint8Array): boolean {
    if (chunk.length < 9 || chunk[0] !== CONTENT_HANDSHAKE || chunk[1] !== 3 || chunk[5] !== HANDSHAKE_CLIENT_HELLO) return false;
    const recLen = (chunk[3]! << 8) | chunk[4]!;
    const msgLen = (chunk[6]! << 16) | (chunk[7]! << 8) | chunk[8]!;
    if (recLen > MAX_RECORD || 5 + recLen > chunk.length || 4 + msgLen > recLen || 4 + msgLen > this.#maxHello) return false;
    this.#raw = chunk.length;
    this.#recordVersion = 0x0300 | chunk[2]!;
    this.#finish(chunk.subarray(9, 9 + msgLen));
    return true;
  }

  /** Takes up to `len` bytes of handshake fragment; returns how many it used. */
  #consumeFragment(chunk: Uint8Array, start: number, len: number): number {
    let i = start;
    const end = start + len;
    while (i < end && this.#msgHdrPos < 4) {
      const b = chunk[i++]!;
      if (this.#msgHdrPos === 0) {
        if (b !== HANDSHAKE_CLIENT_HELLO) { this.#fail('malformed'); return i - start; }
      } else {
        this.#msgLen = (this.#msgLen << 8) | b;
      }
      if (++this.#msgHdrPos === 4) {
        if (4 + this.#msgLen > this.#maxHello) { this.#fail('too_large'); return i - start; }
        if (this.#msgLen < MIN_BODY) { this.#fail('malformed'); return i - start; }
        this.#msg = new Uint8Array(this.#msgLen);
      }
    }
    const msg = this.#msg;
    if (msg === undefined || i === end) return i - start;
    const copy = Math.min(end - i, msg.length - this.#msgPos);
    msg.set(chunk.subarray(i, i + copy), this.#msgPos);
    this.#msgPos += copy;
    i += copy;
    if (this.#msgPos === msg.length) this.#finish(msg);
    return i - start;
  }

  #fail(status: Exclude<HelloStatus, 'need_more' | 'done'>): HelloStatus {
    this.#status = status;
    this.#msg = undefined;
    return status;
  }

  #finish(body: Uint8Array): void {
    const info = parseClientHelloBody(body, this.#recordVersion);
    if (info === undefined) { this.#fail('malformed'); return; }
    this.#info = info;
    this.#status = 'done';
  }
}

/**
 * Reads a ClientHello body (after the 4-byte handshake header). Undefined when its
 * extensions are malformed, including the ambiguities a smuggler would use: two server_name extensions or
 * two host_names in one list (which one would the origin honour?).
 */
export function parseClientHelloBody(b: Uint8Array, recordVersion = 0x0301): ClientHelloInfo | undefined {
  const e = b.length;
  if (e < MIN_BODY) return undefined;
  const legacyVersion = (b[0]! << 8) | b[1]!;
  const info: ClientHelloInfo = {
    serverName: null, serverNameValid: true, recordVersion, legacyVersion,
    ech: false, esni: false, alpn: 'none', message: b, alpnStart: 0, alpnEnd: 0,
  };
  // A fixed part that overruns the message leaves no extensions to read: the hello names no
  // server (so nothing can be matched, and no origin would accept it either). nDPI's broken
  // traces are recorded the same way. Only the extensions, where names live, are held to
  // strict framing.
  let p = 34;
  const sidLen = b[p++]!;
  p += sidLen;
  if (p + 2 > e) return info;
  p += 2 + ((b[p]! << 8) | b[p + 1]!);
  if (p + 1 > e) return info;
  p += 1 + b[p]!;
  // TLS 1.0-era hellos may end here, without extensions.
  if (p + 2 > e) return info;
  const extEnd = p + 2 + ((b[p]! << 8) | b[p + 1]!);
  p += 2;
  if (extEnd > e) return info;
  let sawSni = false;
  let sawAlpn = false;
  // Fewer than 4 stray bytes at the end cannot hold an extension; some stacks leave them.
  while (p + 4 <= extEnd) {
    const type = (b[p]! << 8) | b[p + 1]!;
    const len = (b[p + 2]! << 8) | b[p + 3]!;
    p += 4;
    const q = p + len;
    if (q > extEnd) return undefined;
    if (type === EXT_SERVER_NAME) {
      if (sawSni || !readServerName(b, p, q, info)) return undefined;
      sawSni = true;
    } else if (type === EXT_ALPN) {
      if (sawAlpn) return undefined;
      sawAlpn = true;
      readAlpn(b, p, q, info);
    } else if (type === EXT_ECH || (type >= 0xfe08 && type <= 0xfe0c)) {
      info.ech = true;
    } else if (type === EXT_ESNI) {
      info.esni = true;
    }
    p = q;
  }
  return info;
}

function readServerName(b: Uint8Array, start: number, end: number, info: ClientHelloInfo): boolean {
  // An empty extension is how a server acknowledges SNI; from a client it names nothing.
  if (start === end) return true;
  if (start + 2 > end) return false;
  const listEnd = start + 2 + ((b[start]! << 8) | b[start + 1]!);
  if (listEnd !== end) return false;
  let p = start + 2;
  while (p < listEnd) {
    if (p + 3 > listEnd) return false;
    const nameType = b[p]!;
    const len = (b[p + 1]! << 8) | b[p + 2]!;
    p += 3;
    if (p + len > listEnd) return false;
    if (nameType === 0) {
      if (info.serverName !== null || len > 255) return false;
      // An empty host_name (Go's uTLS sends one) names nothing.
      if (len === 0) { p += len; continue; }
      let valid = true;
      for (let i = p; i < p + len; i++) if (!isNameByte(b[i]!)) { valid = false; break; }
      info.serverName = latin1(b, p, p + len);
      info.serverNameValid = valid;
    }
    p += len;
  }
  return true;
}

/** Letters, digits, `-`, `.`, `_`, and `:` `[` `]` for IPv6 literals some clients send. */
function isNameByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x3a)
    || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x5b || c === 0x5d;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
}

const H2 = [0x68, 0x32];
const HTTP11 = [0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31];

/** Classifies the first protocol; a broken list is `other`, not a reason to refuse. */
function readAlpn(b: Uint8Array, start: number, end: number, info: ClientHelloInfo): void {
  info.alpn = 'other';
  if (start + 3 > end) return;
  const listEnd = start + 2 + ((b[start]! << 8) | b[start + 1]!);
  if (listEnd > end) return;
  (info as { alpnStart: number }).alpnStart = start + 2;
  (info as { alpnEnd: number }).alpnEnd = listEnd;
  const len = b[start + 2]!;
  const p = start + 3;
  if (p + len > listEnd) return;
  if (bytesEqual(b, p, len, H2)) info.alpn = 'h2';
  else if (bytesEqual(b, p, len, HTTP11)) info.alpn = 'http/1.1';
}

function bytesEqual(b: Uint8Array, p: number, len: number, want: readonly number[]): boolean {
  if (len !== want.length) return false;
  for (let i = 0; i < len; i++) if (b[p + i] !== want[i]) return false;
  return true;
}

/** Every protocol the hello offered, in order. Allocates; for logs and tests. */
export function decodeAlpn(info: ClientHelloInfo): string[] {
  const out: string[] = [];
  const b = info.message;
  let p = info.alpnStart;
  while (p < info.alpnEnd) {
    const len = b[p]!;
    if (p + 1 + len > info.alpnEnd) break;
    out.push(latin1(b, p + 1, p + 1 + len));
    p += 1 + len;
  }
  return out;
}

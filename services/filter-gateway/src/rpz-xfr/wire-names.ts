/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4) for the zone-transfer primary: read with
 * compression pointers (bounded, so a pointer loop cannot spin), written without.
 */

export const MAX_NAME_WIRE = 255;
const MAX_POINTERS = 32;

export class WireError extends Error {}

/**
 * Reads the name at `off`; returns it in lower case with a trailing dot ("." for the root)
 * and the offset after it in the message (after the first pointer, if any).
 */
export function readName(buf: Uint8Array, off: number): { name: string; end: number } {
  let name = '';
  let pos = off;
  let end = -1;
  let wire = 1;
  for (let hops = 0; ; ) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('compression pointer runs past the message');
      if (++hops > MAX_POINTERS) throw new WireError('too many compression pointers');
      if (end < 0) end = pos + 2;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= pos) throw new WireError('compression pointer does not point backwards');
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new WireError('unknown label type');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the message');
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) throw new WireError('name longer than 255 octets');
    for (let i = pos + 1; i <= pos + len; i++) {
      const c = buf[i]!;
      name += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
    }
    name += '.';
    pos += len + 1;
  }
  return { name: name === '' ? '.' : name, end };
}

/** Offset after the name at `off`, without decoding it. */
export function skipName(buf: Uint8Array, off: number): number {
  let pos = off;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('compression pointer runs past the message');
      return pos + 2;
    }
    if ((len & 0xc0) !== 0) throw new WireError('unknown label type');
    pos += len + 1;
  }
}

/** An absolute name ("a.b." or ".") as uncompressed wire bytes, lower-cased (canonical, RFC 4034 §6.2). */
export function nameToWire(name: string): Buffer {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.toLowerCase().split('.');
  const out = Buffer.alloc(trimmed.length + 2);
  let off = 0;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) throw new WireError(`bad label in "${name}"`);
    out[off++] = l.length;
    off += out.write(l, off, 'latin1');
  }
  out[off++] = 0;
  if (off > MAX_NAME_WIRE) throw new WireError(`"${name}" is longer than 255 octets`);
  return out.subarray(0, off);
}

/**
 * Writes a relative name ("a.b", no trailing dot) as labels at `off`, without the terminating
 * byte (the caller ends it with a pointer to the origin). Returns the new offset, or -1 when
 * the name has an empty or over-long label, or a character outside printable ASCII.
 * The string is copied in one call and its dots turned into label lengths afterwards.
 */
export function writeRelativeLabels(buf: Buffer, off: number, rel: string): number {
  const n = rel.length;
  if (n === 0) return off;
  buf.write(rel, off + 1, n, 'latin1');
  let lenPos = off;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const c = rel.charCodeAt(i);
    if (c === 0x2e) {
      if (count === 0 || count > 63) return -1;
      buf[lenPos] = count;
      lenPos = off + 1 + i;
      count = 0;
    } else {
      if (c <= 0x20 || c >= 0x7f) return -1;
      count++;
    }
  }
  if (count === 0 || count > 63) return -1;
  buf[lenPos] = count;
  return off + 1 + n;
}

/**
 * Name hashing shared by the domain table's builder (text rule names) and its lookups (wire
 * and text queries): a suffix's hash is chained from its parent suffix's hash and its own
 * label, so a lookup gets the hash of every suffix of a name in one right-to-left pass.
 */

export const ROOT_HASH = 0;
export const MAX_LABEL = 63;
/** RFC 1035: a name is at most 255 octets on the wire, length bytes and final zero included. */
export const MAX_WIRE_NAME = 255;
/** Text names: 253 characters without the trailing dot is the longest that fits the wire limit. */
export const MAX_TEXT_NAME = 253;
/** A name within the wire limit has at most this many labels. */
export const MAX_LABELS = 127;

export const LOWER = new Uint8Array(256);
for (let b = 0; b < 256; b++) LOWER[b] = b >= 65 && b <= 90 ? b + 32 : b;

/**
 * Labels are hashed four bytes at a time: one multiply per word instead of per byte keeps the
 * dependency chain short, and the rotation carries the high bytes of each word down so no
 * byte position only ever reaches the top bits. The length in the seed tells `a` from `a\0`.
 */
function labelSeed(parentHash: number, len: number): number {
  return Math.imul(parentHash ^ 0x2545f491, 0x9e3779b1) ^ (0x811c9dc5 + len);
}

function step(h: number, word: number): number {
  h = Math.imul(h ^ word, 0x9e3779b1);
  return (h << 13) | (h >>> 19);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

/** Hash of the wire label of `len` bytes after `start` under a suffix hashed `parentHash`. */
export function wireLabelHash(buf: Uint8Array, start: number, len: number, parentHash: number): number {
  let h = labelSeed(parentHash, len);
  let j = start + 1;
  const stop = j + len;
  for (; j + 4 <= stop; j += 4) {
    h = step(h, LOWER[buf[j]!]! | (LOWER[buf[j + 1]!]! << 8) | (LOWER[buf[j + 2]!]! << 16) | (LOWER[buf[j + 3]!]! << 24));
  }
  if (j < stop) {
    let w = 0;
    for (let shift = 0; j < stop; j++, shift += 8) w |= LOWER[buf[j]!]! << shift;
    h = step(h, w);
  }
  return finish(h);
}

/** Lower-case byte of a text character; beyond ASCII only needs to hash consistently. */
function textByte(name: string, i: number): number {
  const c = name.charCodeAt(i);
  return c >= 65 && c <= 90 ? c + 32 : c & 0xff;
}

/** The same for the text label `name[start, end)`: equal to the wire hash for ASCII labels. */
export function textLabelHash(name: string, start: number, end: number, parentHash: number): number {
  let h = labelSeed(parentHash, end - start);
  let j = start;
  for (; j + 4 <= end; j += 4) {
    h = step(h, textByte(name, j) | (textByte(name, j + 1) << 8) | (textByte(name, j + 2) << 16) | (textByte(name, j + 3) << 24));
  }
  if (j < end) {
    let w = 0;
    for (let shift = 0; j < end; j++, shift += 8) w |= textByte(name, j) << shift;
    h = step(h, w);
  }
  return finish(h);
}

/** Bounds of a text name without its optional trailing dot, or -1 when it cannot be a rule. */
export function validateRuleName(name: string): number {
  let end = name.length;
  if (end > 0 && name.charCodeAt(end - 1) === 46) end--;
  if (end === 0 || end > MAX_TEXT_NAME) return -1;
  let labelLen = 0;
  for (let i = 0; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0) return -1;
      labelLen = 0;
    } else {
      // Rules are A-labels; anything else could never be asked for on the wire.
      if (c > 0x7e || c <= 0x20) return -1;
      if (++labelLen > MAX_LABEL) return -1;
    }
  }
  return labelLen === 0 ? -1 : end;
}

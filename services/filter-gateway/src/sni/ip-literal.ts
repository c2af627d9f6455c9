import { isIPv4, isIPv6 } from 'node:net';

/**
 * The address bytes of an IP literal (4 or 16), or undefined for anything else. Accepts the
 * bracketed IPv6 form some TLS clients put in SNI and HTTP puts in Host.
 */
export function ipLiteralBytes(text: string): Uint8Array | undefined {
  const c = text.charCodeAt(0);
  // Host names almost always start with a letter: skip the validators for them.
  if (c !== 0x5b && !(c >= 0x30 && c <= 0x39) && c !== 0x3a && !(c >= 0x61 && c <= 0x66) && !(c >= 0x41 && c <= 0x46)) return undefined;
  const t = c === 0x5b && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(t)) {
    const out = new Uint8Array(4);
    let part = 0;
    let n = 0;
    for (let i = 0; i <= t.length; i++) {
      const ch = t.charCodeAt(i);
      if (i === t.length || ch === 0x2e) { out[part++] = n; n = 0; } else n = n * 10 + (ch - 0x30);
    }
    return out;
  }
  if (!isIPv6(t)) return undefined;
  return ipv6Bytes(t);
}

function ipv6Bytes(t: string): Uint8Array {
  const out = new Uint8Array(16);
  const zone = t.indexOf('%');
  const s = zone === -1 ? t : t.slice(0, zone);
  const dbl = s.indexOf('::');
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = ipLiteralBytes(g)!;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const tl = groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - tl.length).fill(0), ...tl];
  for (let i = 0; i < 8; i++) { out[i * 2] = all[i]! >> 8; out[i * 2 + 1] = all[i]! & 0xff; }
  return out;
}

/** IPv4 dotted quad or IPv6 text to bytes; undefined when it is neither. */
export function parseIpText(text: string): Uint8Array | undefined {
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    if (text.split('::').length > 2) return undefined;
    const parse = (s: string | undefined): number[] | undefined => {
      if (!s) return [];
      const out: number[] = [];
      const parts = s.split(':');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (p.includes('.') && i === parts.length - 1) {
          const v4 = parseIpText(p);
          if (!v4 || v4.length !== 4) return undefined;
          out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        } else {
          if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
          out.push(parseInt(p, 16));
        }
      }
      return out;
    };
    const h = parse(head);
    const t = tail === undefined ? [] : parse(tail);
    if (!h || !t) return undefined;
    const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
    if (groups.length !== 8 || (tail !== undefined && h.length + t.length > 7)) return undefined;
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => { bytes[i * 2] = g >> 8; bytes[i * 2 + 1] = g & 0xff; });
    return bytes;
  }
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bytes[i] = Number(p);
  }
  return bytes;
}

/**
 * An `ip` value (bare address) or `cidr` value (`addr/len`) to bytes and prefix length;
 * undefined when malformed. Bits past the prefix are kept as written; tables mask them.
 */
export function parseIpRuleValue(kind: 'ip' | 'cidr', value: string): { bytes: Uint8Array; prefix: number } | undefined {
  const slash = value.indexOf('/');
  if (kind === 'ip') {
    if (slash >= 0) return undefined;
    const bytes = parseIpText(value);
    return bytes && { bytes, prefix: bytes.length * 8 };
  }
  if (slash < 0) return undefined;
  const bytes = parseIpText(value.slice(0, slash));
  const lenText = value.slice(slash + 1);
  if (!bytes || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const prefix = Number(lenText);
  return prefix <= bytes.length * 8 ? { bytes, prefix } : undefined;
}

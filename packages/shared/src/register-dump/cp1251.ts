/**
 * Windows-1251, bytes 0x80–0xFF, as the WHATWG Encoding Standard maps them (0x98, unassigned,
 * becomes U+0098). Written out here so the shared package needs no codec dependency for the
 * one legacy encoding register dumps come in.
 */
const HIGH_HALF =
  '\u0402\u0403\u201A\u0453\u201E\u2026\u2020\u2021\u20AC\u2030\u0409\u2039\u040A\u040C\u040B\u040F' +
  '\u0452\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u0098\u2122\u0459\u203A\u045A\u045C\u045B\u045F' +
  '\u00A0\u040E\u045E\u0408\u00A4\u0490\u00A6\u00A7\u0401\u00A9\u0404\u00AB\u00AC\u00AD\u00AE\u0407' +
  '\u00B0\u00B1\u0406\u0456\u0491\u00B5\u00B6\u00B7\u0451\u2116\u0454\u00BB\u0458\u0405\u0455\u0457' +
  '\u0410\u0411\u0412\u0413\u0414\u0415\u0416\u0417\u0418\u0419\u041A\u041B\u041C\u041D\u041E\u041F' +
  '\u0420\u0421\u0422\u0423\u0424\u0425\u0426\u0427\u0428\u0429\u042A\u042B\u042C\u042D\u042E\u042F' +
  '\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438\u0439\u043A\u043B\u043C\u043D\u043E\u043F' +
  '\u0440\u0441\u0442\u0443\u0444\u0445\u0446\u0447\u0448\u0449\u044A\u044B\u044C\u044D\u044E\u044F';

const CODE_UNITS = new Uint16Array(256);
for (let b = 0; b < 128; b++) CODE_UNITS[b] = b;
for (let b = 0; b < 128; b++) CODE_UNITS[128 + b] = HIGH_HALF.charCodeAt(b);

/** Bounded so String.fromCharCode never receives more arguments than the engine allows. */
const CHUNK = 8192;

export function decodeCp1251(bytes: Uint8Array): string {
  const parts: string[] = [];
  const units = new Uint16Array(Math.min(CHUNK, bytes.length));
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, bytes.length);
    for (let i = start; i < end; i++) units[i - start] = CODE_UNITS[bytes[i] ?? 0] ?? 0;
    parts.push(String.fromCharCode(...units.subarray(0, end - start)));
  }
  return parts.join('');
}

/** `text` in windows-1251, for writing fixtures; throws on a character the encoding lacks. */
export function encodeCp1251(text: string): Uint8Array {
  const byChar = new Map<number, number>();
  for (let b = 0; b < 256; b++) byChar.set(CODE_UNITS[b] ?? 0, b);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const byte = byChar.get(text.charCodeAt(i));
    if (byte === undefined) throw new RangeError(`windows-1251 cannot encode U+${text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`);
    out[i] = byte;
  }
  return out;
}

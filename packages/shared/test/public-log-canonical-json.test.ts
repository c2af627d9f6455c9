import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/public-log/index.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, including non-ASCII and astral keys (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Code-point order would put U+FB33 before U+1F600; UTF-16 order puts the surrogate D83D first.
    // (Compared as text: Object.keys would list the integer-like key "1" first whatever the order.)
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts nested object keys and keeps array order', () => {
    expect(canonicalJson({ b: [3, 1, { z: 1, a: 2 }], a: { y: null, x: true } })).toBe(
      '{"a":{"x":true,"y":null},"b":[3,1,{"a":2,"z":1}]}',
    );
    expect(canonicalJson({ 'я': 1, 'а': 2, z: 3, A: 4, 'ә': 5 })).toBe('{"A":4,"z":3,"а":2,"я":1,"ә":5}');
  });

  it('reproduces the RFC 8785 §3.2.2 sample', () => {
    const text = String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalJson(JSON.parse(text))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('escapes control characters with short forms where they exist, else \\u00xx in lower case', () => {
    expect(canonicalJson('\u0000\u0001\b\t\n\u000b\f\r\u001f \u007f')).toBe(
      String.raw`"\u0000\u0001\b\t\n\u000b\f\r\u001f ` + '\u007f"',
    );
    expect(canonicalJson('quote " backslash \\ slash /')).toBe(String.raw`"quote \" backslash \\ slash /"`);
  });

  it('writes all other characters literally (no \\u escapes for non-ASCII)', () => {
    expect(canonicalJson('Қазақстан ә ғ — € \u2028 \u2029 😀')).toBe('"Қазақстан ә ғ — € \u2028 \u2029 😀"');
    expect(Buffer.from(canonicalJson({ 'ключ': 'мән' }), 'utf8').toString('hex')).toBe(
      Buffer.from('{"ключ":"мән"}', 'utf8').toString('hex'),
    );
  });

  it('writes integers in plain decimal notation', () => {
    expect(canonicalJson([0, -0, 1, -1, 42, 1000000, 9007199254740991, -9007199254740991])).toBe(
      '[0,0,1,-1,42,1000000,9007199254740991,-9007199254740991]',
    );
    expect(canonicalJson(1e21)).toBe('1e+21');
  });

  it('has no whitespace and omits undefined members', () => {
    expect(canonicalJson({ a: [1, 2], b: { c: 'd e' }, u: undefined })).toBe('{"a":[1,2],"b":{"c":"d e"}}');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  it('refuses values JSON cannot represent unambiguously', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      () => 1,
      10n,
      Symbol('s'),
      undefined,
      [1, undefined],
      new Date(0),
      new Map(),
      '\ud800 lone high surrogate',
      'lone low \udc00',
      { nested: { x: Number.NaN } },
      cyclic,
    ]) {
      expect(() => canonicalJson(bad), String(typeof bad)).toThrow(TypeError);
    }
  });

  it('accepts a repeated (non-cyclic) reference', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });
});

import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { SuggestIndex, type SuggestSource } from '../src/domain/suggest-index.js';
import { lowerBound, suggestKeys, suggestPrefix } from '../src/domain/suggest-prefix.js';

/** The sorted index against a plain list filtered by `startsWith`, through loads, adds, removes and merges. */
describe('SuggestIndex', () => {
  it('prefix forms: case, scheme, *., NFC', () => {
    expect(suggestPrefix('  HTTPS://News.Example.KZ/A ')).toBe('news.example.kz/a');
    expect(suggestPrefix('*.ПРИМЕР')).toBe('пример');
    expect(suggestPrefix('e\u0301')).toBe('\u00e9');
    expect(suggestKeys('xn--e1afmkfd.kz', '*.пример.kz')).toEqual(['xn--e1afmkfd.kz', 'пример.kz']);
    expect(suggestKeys('casino.kz', 'casino.kz')).toEqual(['casino.kz']);
    expect(lowerBound(['a', 'b', 'b', 'c'], 'b')).toBe(1);
    expect(lowerBound(['a', 'b'], 'z')).toBe(2);
  });

  it('agrees with a naive scan after random changes on both sides of a merge', async () => {
    const random = seededRandom(1105);
    const index = new SuggestIndex();
    const live = new Map<number, SuggestSource>();
    const letters = 'abcxyz-.';
    const name = () => Array.from({ length: 2 + Math.floor(random() * 6) }, () => letters[Math.floor(random() * letters.length)]).join('') + '.kz';
    let seq = 0;
    const add = () => {
      const kind = random() < 0.1 ? 'url' : 'domain';
      const value = kind === 'url' ? `https://${name()}/p` : name();
      const span: SuggestSource = { seq: ++seq, kind, value, display: value, category: random() < 0.2 ? 'child_sexual_abuse' : 'gambling', mode: random() < 0.1 ? 'allow' : 'restrict' };
      index.add(span);
      live.set(span.seq, span);
    };
    for (let i = 0; i < 3000; i++) add();
    // Sealed in slices (as the copy does) it holds the same keys in the same order as sealed at once.
    const sliced = new SuggestIndex();
    for (const span of live.values()) sliced.add(span);
    index.seal();
    await sliced.sealInSlices(100);
    const order = (ix: SuggestIndex) => { const out: number[] = []; ix.find('', 1e9, 1e9, (c) => { out.push(c.seq); return true; }); return out; };
    expect(order(sliced)).toEqual(order(index));
    const check = () => {
      for (const typed of ['a', 'ab', 'x', 'z-', 'c.', 'b', 'abc']) {
        const got: number[] = [];
        index.find(typed, 1e9, 1e9, (c) => { got.push(c.seq); return true; });
        const want = [...live.values()]
          .filter((s) => s.mode !== 'allow' && !(s.kind === 'url' && s.category === 'child_sexual_abuse') && suggestPrefix(s.value).startsWith(typed))
          .map((s) => s.seq);
        expect(got.sort((a, b) => a - b), typed).toEqual(want.sort((a, b) => a - b));
      }
    };
    check();
    // Enough changes to merge several times (over 4,096 each way), checked in between.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 1500; i++) {
        if (random() < 0.5 && live.size > 0) {
          const keys = [...live.keys()];
          const victim = keys[Math.floor(random() * keys.length)]!;
          live.delete(victim);
          index.remove(victim);
        } else add();
      }
      check();
    }
    // Bounded: a scan limit stops the walk however many keys share the prefix.
    let looked = 0;
    index.find('', 1e9, 10, () => { looked++; return false; });
    expect(looked).toBeLessThanOrEqual(10);
  });
});

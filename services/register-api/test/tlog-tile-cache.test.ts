import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImmutableTileCache, matchesIfNoneMatch, servedTile } from '../src/routes/tlog/tile-cache.js';

const tile = (n: number) => servedTile(Buffer.alloc(1000, n), 'public, max-age=31536000, immutable');

describe('the in-process cache of immutable tiles', () => {
  it('stays within its bytes, keeps the tiles still asked for, and drops the ones no longer asked for', () => {
    const cache = new ImmutableTileCache(5000);
    for (let i = 0; i < 5; i++) cache.set(`t${i}`, tile(i));
    cache.get('t0');
    cache.get('t3');
    for (let i = 5; i < 8; i++) cache.set(`t${i}`, tile(i));
    const kept = Array.from({ length: 8 }, (_, i) => `t${i}`).filter((k) => cache.get(k));
    expect(kept.length).toBe(5);
    expect(kept).toEqual(expect.arrayContaining(['t0', 't3', 't5', 't6', 't7']));
    expect(cache.get('t3')!.body.equals(Buffer.alloc(1000, 3))).toBe(true);
    cache.set('huge', servedTile(Buffer.alloc(6000), 'x'));
    expect(cache.get('huge')).toBeUndefined();
  });

  it('tags each tile with the SHA-256 of its bytes and matches If-None-Match as RFC 9110 says', () => {
    const t = tile(7);
    expect(t.etag).toBe(`"${createHash('sha256').update(Buffer.alloc(1000, 7)).digest('base64url')}"`);
    expect(t.headers).toEqual({ 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable', etag: t.etag });
    for (const yes of [t.etag, '*', `"a", ${t.etag}`, `W/${t.etag}`, ` "b" ,W/${t.etag} `]) expect(matchesIfNoneMatch(yes, t.etag), yes).toBe(true);
    for (const no of [undefined, '', '"a"', t.etag.slice(1), `${t.etag}x`]) expect(matchesIfNoneMatch(no, t.etag), String(no)).toBe(false);
  });
});

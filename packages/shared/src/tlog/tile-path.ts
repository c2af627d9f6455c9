/**
 * C2SP tlog-tiles §"Merkle Tree" and §"Log Entries": tile paths.
 *
 *   tile/<L>/<N>[.p/<W>]        hash tile at level L, index N, partial width W
 *   tile/entries/<N>[.p/<W>]    entry bundle N
 *
 * N is written in zero-padded three-digit groups, each group but the last prefixed by `x`
 * (1234067 → x001/x234/067). Unlike Go's sumdb paths there is no height element: C2SP fixes
 * the height at 8. Parsing accepts only the canonical spelling, so one tile has one URL (which
 * is what lets caches share it).
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;

export interface TileCoordinates {
  /** 'entries' for an entry bundle, otherwise the tile level (0 = leaf hashes). */
  level: number | 'entries';
  index: number;
  /** Number of hashes (or entries) in the tile: TILE_WIDTH when full. */
  width: number;
}

export function encodeTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`tile index ${index}`);
  let text = String(index % 1000).padStart(3, '0');
  let rest = Math.floor(index / 1000);
  while (rest > 0) {
    text = `x${String(rest % 1000).padStart(3, '0')}/${text}`;
    rest = Math.floor(rest / 1000);
  }
  return text;
}

export function tilePath({ level, index, width }: TileCoordinates): string {
  const partial = width < TILE_WIDTH ? `.p/${width}` : '';
  return `tile/${level}/${encodeTileIndex(index)}${partial}`;
}

/** Maximum tile level: 8·6 = 48 bits of leaves is far beyond any log this register will hold. */
const MAX_LEVEL = 6;

/**
 * Parses the part after `tile/` (e.g. `0/x001/234.p/7`, `entries/005`); null for anything not in
 * canonical form.
 */
export function parseTilePath(path: string): TileCoordinates | null {
  const m = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (!m) return null;
  const level = m[1] === 'entries' ? 'entries' : Number(m[1]);
  if (level !== 'entries' && level > MAX_LEVEL) return null;
  const groups = [...(m[2] ?? '').matchAll(/x([0-9]{3})\//g)].map((g) => g[1]!);
  if (groups.length > 0 && groups[0] === '000') return null; // a leading zero group is not canonical
  if (groups.length > 4) return null;
  let index = 0;
  for (const g of [...groups, m[3]!]) index = index * 1000 + Number(g);
  // A partial tile is narrower than a full one; `.p/256` would be a second name for a full tile.
  const width = m[4] === undefined ? TILE_WIDTH : Number(m[4]);
  if (m[4] !== undefined && width >= TILE_WIDTH) return null;
  return { level, index, width };
}

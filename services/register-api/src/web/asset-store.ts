import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';

/** A static file served under a name that carries its content hash, so it can be cached forever. */
export interface Asset {
  /** `/assets/site.3f2a9c1b7d0e.css` */
  url: string;
  type: string;
  identity: Buffer;
  gzip: Buffer;
  brotli: Buffer;
}

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };

/**
 * The pages' CSS and scripts, read and compressed once at start. A fingerprinted name changes
 * whenever the content does, so browsers may keep each file a year without asking again
 * (`immutable`), and a deploy never serves a page with a stale stylesheet.
 */
export class AssetStore {
  readonly #byUrl = new Map<string, Asset>();
  readonly #byName = new Map<string, Asset>();

  constructor(directory: URL, names: readonly string[]) {
    for (const name of names) {
      const identity = readFileSync(new URL(name, directory));
      const hash = createHash('sha256').update(identity).digest('hex').slice(0, 12);
      const dot = name.lastIndexOf('.');
      const ext = name.slice(dot + 1);
      const asset: Asset = {
        url: `/assets/${name.slice(0, dot)}.${hash}.${ext}`,
        type: TYPES[ext] ?? 'application/octet-stream',
        identity,
        gzip: gzipSync(identity, { level: 9 }),
        brotli: brotliCompressSync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
      };
      this.#byUrl.set(asset.url, asset);
      this.#byName.set(name, asset);
    }
  }

  /** The fingerprinted URL of `name` (throws for a name that was not loaded: a bug, not input). */
  url(name: string): string {
    const asset = this.#byName.get(name);
    if (!asset) throw new Error(`no asset ${name}`);
    return asset.url;
  }

  byUrl(url: string): Asset | undefined {
    return this.#byUrl.get(url);
  }

  /** For the page-weight test: what a browser downloads for `name`, compressed. */
  get(name: string): Asset | undefined {
    return this.#byName.get(name);
  }
}

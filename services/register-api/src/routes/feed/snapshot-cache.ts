import { createReadStream, createWriteStream, mkdtempSync, rmSync, unlinkSync, type WriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { finished, pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { Readable } from 'node:stream';

/** Stream buffers of the snapshot path: big enough that producing, compressing and sending overlap. */
export const SNAPSHOT_BUFFER = 1024 * 1024;

/**
 * Level 1: on 1M rules about 3.7× smaller than identity (35 of 131 MiB), at a fraction of the
 * CPU of the default level 6, which would make compression the snapshot's bottleneck.
 */
export const SNAPSHOT_GZIP_LEVEL = 1;

export function snapshotGzip(): Gzip {
  // zlib streams take Transform options too; the type does not say so.
  return createGzip({ level: SNAPSHOT_GZIP_LEVEL, chunkSize: 64 * 1024, highWaterMark: SNAPSHOT_BUFFER } as ZlibOptions);
}

interface Files {
  version: number;
  /** rules in it */
  count: number;
  identity: string;
  gzip: string;
}

interface Entry extends Files {
  /** true once the gzip file is complete; false if it never will be */
  gzipReady: Promise<boolean>;
  stop: AbortController;
}

/**
 * The newest snapshot this process has streamed out, kept on disk as NDJSON and as gzip, so
 * every gateway asking for the same version gets the bytes straight from a file instead of a
 * million-row query each. The NDJSON file is written as the snapshot streams (cheap); the gzip
 * file too when the client took gzip, and otherwise compressed from the NDJSON file right
 * after, off the request. One version is kept; the files of the one it replaces are unlinked,
 * which does not disturb a response still reading them.
 */
export class SnapshotCache {
  readonly #dir: string;
  #current: Entry | undefined;
  #writing = false;
  #serial = 0;

  constructor(dir?: string) {
    this.#dir = dir ?? mkdtempSync(join(tmpdir(), 'tizilim-snapshot-'));
  }

  /** The cached snapshot of `version` in the wanted encoding, opened; undefined when there is none. */
  async open(version: number, encoding: 'identity' | 'gzip'): Promise<Readable | undefined> {
    const entry = this.#current;
    if (!entry || entry.version !== version) return undefined;
    if (encoding === 'gzip' && !(await entry.gzipReady)) return undefined;
    try {
      // Opened before answering: once open, the file stays readable even if it is replaced.
      const file = await open(encoding === 'gzip' ? entry.gzip : entry.identity, 'r');
      return file.createReadStream({ highWaterMark: SNAPSHOT_BUFFER });
    } catch {
      return undefined;
    }
  }

  /** The newest version held, to derive a later one from; its NDJSON file opened by `open()`. */
  latest(): { version: number; count: number; open(): Promise<FileHandle | undefined> } | undefined {
    const entry = this.#current;
    if (!entry) return undefined;
    return {
      version: entry.version,
      count: entry.count,
      open: async () => {
        try {
          return await open(entry.identity, 'r');
        } catch {
          return undefined;
        }
      },
    };
  }

  /** Starts writing `version`; undefined when it is cached or another is being written (the caller streams without a copy). */
  begin(version: number, count: number): SnapshotWriter | undefined {
    if (this.#writing || this.#current?.version === version) return undefined;
    this.#writing = true;
    const base = join(this.#dir, `snapshot-${version}-${++this.#serial}`);
    return new SnapshotWriter({ version, count, identity: `${base}.ndjson`, gzip: `${base}.ndjson.gz` }, (files, gzipWritten) => {
      this.#writing = false;
      if (!files) return;
      const stop = new AbortController();
      const gzipReady = gzipWritten ? Promise.resolve(true) : compressFile(files, stop.signal);
      const old = this.#current;
      // A slower writer of an older version must not replace a newer one.
      if (old && old.version > files.version) {
        stop.abort();
        removeFiles(files);
        return;
      }
      this.#current = { ...files, gzipReady, stop };
      if (old) retire(old);
    });
  }

  close(): void {
    if (this.#current) retire(this.#current);
    this.#current = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The files of one version as they are written; `commit` hands them to the cache. */
export class SnapshotWriter {
  /** Write the NDJSON text here. */
  readonly identity: WriteStream;
  #gzipFile: WriteStream | undefined;
  readonly #files: Files;
  readonly #done: (files: Files | undefined, gzipWritten: boolean) => void;
  #settled = false;

  constructor(files: Files, done: (files: Files | undefined, gzipWritten: boolean) => void) {
    this.#files = files;
    this.#done = done;
    this.identity = createWriteStream(files.identity, { highWaterMark: SNAPSHOT_BUFFER });
    // Failures surface through commit() or abort(); unhandled, an 'error' event would kill the process.
    this.identity.on('error', () => {});
  }

  /** The client takes gzip: keep what its compressor produces too, rather than compressing twice. */
  keepCompressed(gzip: Gzip): void {
    this.#gzipFile = createWriteStream(this.#files.gzip, { highWaterMark: SNAPSHOT_BUFFER });
    this.#gzipFile.on('error', () => {});
    gzip.pipe(this.#gzipFile);
  }

  /** After the last write and `end()` of the inputs: waits for the files and hands them over. */
  async commit(): Promise<void> {
    try {
      await Promise.all([finished(this.identity), ...(this.#gzipFile ? [finished(this.#gzipFile)] : [])]);
    } catch (err) {
      this.abort();
      throw err;
    }
    if (this.#settled) return;
    this.#settled = true;
    this.#done(this.#files, this.#gzipFile !== undefined);
  }

  abort(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.identity.destroy();
    this.#gzipFile?.destroy();
    removeFiles(this.#files);
    this.#done(undefined, false);
  }
}

async function compressFile(files: Files, signal: AbortSignal): Promise<boolean> {
  try {
    await pipeline(createReadStream(files.identity, { highWaterMark: SNAPSHOT_BUFFER }), snapshotGzip(), createWriteStream(files.gzip, { highWaterMark: SNAPSHOT_BUFFER }), { signal });
    return true;
  } catch {
    return false;
  }
}

function retire(entry: Entry): void {
  entry.stop.abort();
  removeFiles(entry);
}

function removeFiles(files: Files): void {
  for (const path of [files.identity, files.gzip]) {
    try {
      unlinkSync(path);
    } catch {
      // already gone, or never written
    }
  }
}

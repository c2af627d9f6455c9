import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogSourceError, generateSigningKey, signCheckpoint, verifyLogAt, verifyLogFile } from '../src/public-log/index.js';
import { sampleChain } from './public-log-fixtures.js';

const ENTRIES = sampleChain(40);
const CHECKPOINT = signCheckpoint(generateSigningKey(), { seq: 40, hash: ENTRIES[39]?.hash ?? '', time: '2026-12-01T00:00:00.000Z' });
const ndjson = (lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\r\n');

describe('verifyLogFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'public-log-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, text: string): Promise<string> => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };

  it('finds the checkpoint line wherever it is, and skips blank lines (CRLF too)', async () => {
    for (const at of [0, 20, 40]) {
      const lines: unknown[] = [...ENTRIES];
      lines.splice(at, 0, { checkpoint: CHECKPOINT });
      const path = await file(`at-${at}.ndjson`, `\r\n${ndjson(lines)}\r\n\r\n`);
      expect(await verifyLogFile(path)).toMatchObject({ ok: true, count: 40, checkpoint: CHECKPOINT });
    }
  });

  it('holds the log to the checkpoint found in the file', async () => {
    const path = await file('short.ndjson', ndjson([...ENTRIES.slice(0, 39), { checkpoint: CHECKPOINT }]));
    expect(await verifyLogFile(path)).toMatchObject({ ok: false, firstBadSeq: 40 });
  });

  it('refuses a file with two checkpoints, and a missing file, as unreadable sources', async () => {
    const path = await file('two.ndjson', ndjson([{ checkpoint: CHECKPOINT }, ...ENTRIES, { checkpoint: CHECKPOINT }]));
    await expect(verifyLogFile(path)).rejects.toThrow(/checkpoints on lines 1 and 42/);
    await expect(verifyLogFile(join(dir, 'nope.ndjson'))).rejects.toBeInstanceOf(LogSourceError);
  });
});

describe('verifyLogAt', () => {
  let server: Server;
  let baseUrl: string;
  let respond: (from: number) => unknown;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/prefix/public/v1/log/checkpoint') return void res.writeHead(404).end();
      if (url.pathname !== '/prefix/public/v1/log') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(respond(Number(url.searchParams.get('from')))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prefix`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the path prefix of the base URL and follows next until null', async () => {
    respond = (from) => ({ entries: ENTRIES.slice(from - 1, from + 9), next: from + 10 <= 40 ? from + 10 : null });
    expect(await verifyLogAt(baseUrl)).toMatchObject({ ok: true, count: 40 });
  });

  it('gives up on a server whose next does not advance, or whose page has the wrong shape', async () => {
    respond = () => ({ entries: [], next: 1 });
    await expect(verifyLogAt(baseUrl)).rejects.toThrow(/does not advance/);
    respond = () => [];
    await expect(verifyLogAt(baseUrl)).rejects.toBeInstanceOf(LogSourceError);
  });
});

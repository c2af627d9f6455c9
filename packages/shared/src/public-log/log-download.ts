import type { SignedCheckpoint } from '../public-log-types.js';
import { ChainVerifier, type VerifyResult } from './chain-verifier.js';
import { LogSourceError } from './log-source-error.js';

/** Entries per `GET /public/v1/log` page. */
export const LOG_PAGE_SIZE = 1000;

/**
 * Downloads the public log of the register at `baseUrl` (e.g. `http://127.0.0.1:8080`) page
 * by page and verifies it as it arrives, so memory holds one page at most.
 * Throws LogSourceError when the log cannot be downloaded.
 */
export async function verifyLogAt(baseUrl: string, opts: { expectedPublicKey?: string } = {}): Promise<VerifyResult> {
  // The checkpoint is read first: the log only grows, so every page fetched afterwards is
  // sure to reach the checkpoint's seq, whereas a checkpoint read last could be newer than
  // the entries already downloaded.
  const checkpoint = await fetchCheckpoint(baseUrl);
  const verifier = new ChainVerifier({ ...opts, ...(checkpoint ? { checkpoint } : {}) });
  for await (const page of fetchLogPages(baseUrl)) {
    for (const entry of page) {
      if (!verifier.push(entry)) return verifier.finish();
    }
  }
  return verifier.finish();
}

/** The latest signed checkpoint, or null when the register has not signed one yet (404). */
export async function fetchCheckpoint(baseUrl: string): Promise<SignedCheckpoint | null> {
  const url = endpoint(baseUrl, 'public/v1/log/checkpoint');
  const response = await get(url);
  if (response.status === 404) return null;
  const body = await jsonBody(response, url);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LogSourceError(`GET ${url.href}: expected a checkpoint object`);
  }
  // Field types and signature are judged by the verifier, which reports them as an invalid checkpoint.
  return body as SignedCheckpoint;
}

/** Yields the `entries` of each `GET /public/v1/log?from=N&limit=…` page, from seq 1 until `next` is null. */
export async function* fetchLogPages(baseUrl: string, pageSize = LOG_PAGE_SIZE): AsyncGenerator<unknown[]> {
  let from: number | null = 1;
  while (from !== null) {
    const url = endpoint(baseUrl, 'public/v1/log');
    url.searchParams.set('from', String(from));
    url.searchParams.set('limit', String(pageSize));
    const page = await jsonBody(await get(url), url);
    if (!isLogPage(page)) throw new LogSourceError(`GET ${url.href}: expected {"entries": [...], "next": number|null}`);
    yield page.entries;
    // A server that does not move forward would otherwise keep us here forever.
    if (page.next !== null && page.next <= from) {
      throw new LogSourceError(`GET ${url.href}: next=${page.next} does not advance past from=${from}`);
    }
    from = page.next;
  }
}

function isLogPage(value: unknown): value is { entries: unknown[]; next: number | null } {
  if (typeof value !== 'object' || value === null) return false;
  const { entries, next } = value as Record<string, unknown>;
  return Array.isArray(entries) && (next === null || (typeof next === 'number' && Number.isSafeInteger(next)));
}

function endpoint(baseUrl: string, path: string): URL {
  // Resolving against a base that ends in '/' keeps any path prefix the register is served under.
  try {
    return new URL(path, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new LogSourceError(`not a valid URL: ${baseUrl}`);
  }
}

async function get(url: URL): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new LogSourceError(`GET ${url.href} failed${cause}`);
  }
  if (!response.ok && response.status !== 404) {
    await response.body?.cancel();
    throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
  }
  return response;
}

async function jsonBody(response: Response, url: URL): Promise<unknown> {
  if (!response.ok) {
    await response.body?.cancel();
    throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
  }
  try {
    return await response.json();
  } catch {
    throw new LogSourceError(`GET ${url.href}: the answer is not JSON`);
  }
}

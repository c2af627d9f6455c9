import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createGateway, loadConfig, type Gateway } from '../../src/index.js';
import { ensureSelfSignedPair, type CertificatePair } from '../../src/tls/self-signed.js';
import { deadPort } from './upstream-server.js';

/** GATEWAY_UDP_BATCH values the DNS tests run under, and how test titles name them. */
export const UDP_MODE_NAMES = { on: 'batched', off: 'dgram' } as const;

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'tz-gw-'));
}

let testPair: Promise<CertificatePair> | undefined;
/**
 * One self-signed pair per test process for DoT/DoH (openssl once, not per gateway), removed
 * when the process ends. Pass `GATEWAY_TLS_CERT: ''` to test the gateway making its own.
 */
function testTlsPair(): Promise<CertificatePair> {
  if (!testPair) {
    const dir = path.join(os.tmpdir(), `tz-gw-tls-${process.pid}`);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    testPair = ensureSelfSignedPair(dir);
  }
  return testPair;
}

/**
 * A gateway in this process on port 0 everywhere, silent logs. Without `REGISTER_URL` it
 * points at a dead loopback port: the register is "down" unless a test brings a feed.
 */
export async function startGateway(env: Record<string, string> = {}): Promise<Gateway & { dataDir: string }> {
  const dataDir = env.GATEWAY_DATA_DIR ?? await tempDir();
  const pair = await testTlsPair();
  const cfg = loadConfig({
    GATEWAY_TLS_CERT: pair.certFile, GATEWAY_TLS_KEY: pair.keyFile,
    DNS_PORT: '0', DOH_PORT: '0', DOT_PORT: '0', GATEWAY_METRICS_PORT: '0', SNI_PORT: '0', BLOCKPAGE_PORT: '0', QUIC_PORT: '0', RPZ_XFR_PORT: '0', GATEWAY_HOST: '127.0.0.1',
    GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: dataDir,
    REGISTER_URL: `http://127.0.0.1:${await deadPort()}`, ISP_TOKEN: 'isp-secret',
    UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_TOTAL_TIMEOUT_MS: '1000',
    SYNC_WAIT_SECONDS: '5', SYNC_MAX_BACKOFF_MS: '200',
    ...env,
  });
  const gw = await createGateway(cfg, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  return Object.assign(gw, { dataDir });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

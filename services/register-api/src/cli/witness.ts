/**
 * A transparency-log witness a researcher can host (`npm run witness`): it cosigns the
 * register's checkpoints (C2SP tlog-witness add-checkpoint) only along consistency proofs, polls
 * the logs it follows, and raises an alarm (stderr, log, metric, evidence in its state file) on a
 * rollback or a fork.
 *
 *   npm run witness -- --log-key <log verifier key> [--log-url <register URL>] [--name <name>]
 *       [--state witness-state.json] [--key-file <state>.key] [--port 8090] [--host 127.0.0.1] [--poll-ms 10000]
 *
 * Every option has an environment twin: WITNESS_LOG_KEYS and WITNESS_LOG_URLS (comma-separated,
 * paired by position), WITNESS_NAME, WITNESS_STATE, WITNESS_KEY_FILE, WITNESS_PORT, WITNESS_HOST,
 * WITNESS_POLL_MS. The witness's own verifier key is printed at start: give it to the register
 * as LOG_WITNESS_KEYS, and its URL as LOG_WITNESS_URLS.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { exportSigningKey, generateSigningKey, loadSigningKey } from '@tizilim/shared/public-log/index';
import { ed25519Cosigner, ed25519NoteVerifier, type NoteVerifier } from '@tizilim/shared/tlog/index';
import { WitnessCore } from '../witness/witness-core.js';
import { WitnessPoller } from '../witness/witness-poller.js';
import { createWitnessServer, witnessMetrics } from '../witness/witness-server.js';
import { loadWitnessState } from '../witness/witness-state.js';

const USAGE = `usage: npm run witness -- --log-key <log verifier key> [--log-url <register URL>] [--name <name>]
    [--state witness-state.json] [--key-file <state>.key] [--port 8090] [--host 127.0.0.1] [--poll-ms 10000]
  --log-key   the log's note verifier key (GET /tlog/key); repeat for several logs
  --log-url   the register to poll for checkpoints, paired with --log-key by position (without it: no polling)
  --name      this witness's name in its cosignatures and key (default tizilim-witness)
  --state     where the latest checkpoint per log and the alarms' evidence are kept
  --key-file  this witness's Ed25519 key, made on first start (default <state>.key)
  --port, --host  where POST /add-checkpoint, GET /key, /healthz and /metrics listen
  --poll-ms   how often each --log-url is polled
Environment twins: WITNESS_LOG_KEYS, WITNESS_LOG_URLS (comma-separated), WITNESS_NAME, WITNESS_STATE,
WITNESS_KEY_FILE, WITNESS_PORT, WITNESS_HOST, WITNESS_POLL_MS. Exit status 2 on a bad start.`;

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

async function loadOrCreateKey(path: string) {
  try {
    return loadSigningKey(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const key = generateSigningKey();
    await writeFile(path, exportSigningKey(key, 'pem'), { mode: 0o600, flag: 'wx' });
    return key;
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const { values } = parseArgs({
    options: {
      'log-key': { type: 'string', multiple: true },
      'log-url': { type: 'string', multiple: true },
      name: { type: 'string' },
      state: { type: 'string' },
      'key-file': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'poll-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const logger = pino({ name: 'witness', level: env.LOG_LEVEL ?? 'info' });
  const logKeys = values['log-key'] ?? list(env.WITNESS_LOG_KEYS);
  const logUrls = values['log-url'] ?? list(env.WITNESS_LOG_URLS);
  if (logKeys.length === 0) throw new Error('name at least one log: --log-key <verifier key from GET /tlog/key> (or WITNESS_LOG_KEYS)');
  if (logUrls.length > logKeys.length) throw new Error('more --log-url than --log-key: they are paired by position');
  const logs = new Map<string, NoteVerifier>();
  for (const k of logKeys) {
    const verifier = ed25519NoteVerifier(k);
    if (!verifier) throw new Error(`not an Ed25519 note verifier key: ${k}`);
    logs.set(verifier.name, verifier);
  }
  const statePath = values.state ?? env.WITNESS_STATE ?? 'witness-state.json';
  const key = await loadOrCreateKey(values['key-file'] ?? env.WITNESS_KEY_FILE ?? `${statePath}.key`);
  const cosigner = ed25519Cosigner(values.name ?? env.WITNESS_NAME ?? 'tizilim-witness', key);
  const metrics = witnessMetrics();
  const core = new WitnessCore(await loadWitnessState(statePath), statePath, logs, cosigner, {
    alarm(alarm) {
      metrics.alarms.inc({ origin: alarm.origin, kind: alarm.kind });
      logger.fatal({ origin: alarm.origin, kind: alarm.kind }, alarm.message);
      console.error(`ALARM ${alarm.kind.toUpperCase()} ${alarm.origin}: ${alarm.message}`);
    },
    cosigned(origin, size) {
      metrics.cosigned.inc({ origin });
      logger.info({ origin, size }, 'cosigned');
    },
  });
  const server = createWitnessServer(core, cosigner.verifierKey, metrics, logger);
  const port = Number(values.port ?? env.WITNESS_PORT ?? 8090);
  await new Promise<void>((resolve) => server.listen(port, values.host ?? env.WITNESS_HOST ?? '127.0.0.1', resolve));
  const pollMs = Number(values['poll-ms'] ?? env.WITNESS_POLL_MS ?? 10_000);
  const poller = new WitnessPoller(core, logUrls.map((url, i) => ({ url: url.replace(/\/+$/, ''), origin: [...logs.keys()][i]! })), pollMs, metrics, logger);
  const address = server.address() as AddressInfo;
  console.log(`witness listening on http://${address.address}:${address.port}`);
  console.log(`witness key: ${cosigner.verifierKey}`);
  logger.info({ port: address.port, logs: [...logs.keys()], pollMs, statePath }, 'witness started');
  if (logUrls.length > 0) {
    await poller.poll();
    poller.start();
  }
  const stop = () => {
    void poller.stop().then(() => server.close());
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`witness: ${(error as Error).message}`);
  process.exitCode = 2;
});

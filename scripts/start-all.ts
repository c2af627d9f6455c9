import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { generateApiToken, hashApiToken } from '@tizilim/register-api/auth/api-token';
import { loadRegisterConfig } from '@tizilim/register-api/config';
import { startRegister } from '@tizilim/register-api/register-service';
import { SHUTDOWN_DEADLINE_MS } from '@tizilim/register-api/plugins/shutdown-plugin';
import { findUserByTokenHash, insertUser } from '@tizilim/register-api/repositories/user-repository';
import { insertIsp, listIsps, tieUserToIsp } from '@tizilim/register-api/repositories/isp-repository';
import { ensureSelfSignedPair } from '@tizilim/filter-gateway/tls/self-signed';
import { GATEWAY_NODE_FLAGS } from '@tizilim/filter-gateway/node-flags';

const LOCAL_ISP = 'Local ISP (npm start)';

/**
 * `npm start`: the register on the embedded database and a gateway subscribed to it, wired
 * together for the README's tour. Production runs each service alone (docker-compose.yml).
 * `npm start` runs it as `node --import tsx`, not through tsx's CLI: that wrapper SIGKILLs its
 * child when the child does not acknowledge a Ctrl-C within 30 ms, which a register busy in its
 * embedded database sometimes cannot, and the orderly stop below was cut short.
 */
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', name: 'tizilim' });
const dataDir = process.env.DATA_DIR || './data';
mkdirSync(dataDir, { recursive: true });

/** A token kept beside the data, made once, so restarts and the README's tour reuse it. */
function tokenFile(name: string): { token: string; created: boolean } {
  const file = join(dataDir, name);
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), created: false };
  const token = generateApiToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

if (!process.env.ADMIN_TOKEN) process.env.ADMIN_TOKEN = tokenFile('admin-token').token;

let register: Awaited<ReturnType<typeof startRegister>>;
try {
  register = await startRegister(loadRegisterConfig(process.env), logger.child({ service: 'register-api' }));
} catch (err) {
  logger.fatal({ err }, 'register-api failed to start');
  process.exit(1);
}

// The gateway's credential: an isp-role user of a local ISP, so the enforcement views show it.
const isp = tokenFile('gateway-isp-token');
const db = register.database.db;
if (!(await findUserByTokenHash(db, hashApiToken(isp.token)))) {
  const admin = await findUserByTokenHash(db, hashApiToken(process.env.ADMIN_TOKEN));
  await db.transaction().execute(async (trx) => {
    const user = await insertUser(trx, { name: 'local gateway (npm start)', roles: ['isp'], tokenHash: hashApiToken(isp.token), createdBy: admin?.id ?? null });
    if (!admin) return;
    const local = (await listIsps(trx)).find((i) => i.name === LOCAL_ISP)
      ?? (await insertIsp(trx, { name: LOCAL_ISP, bin: null, contact: 'localhost', createdBy: admin.id }));
    await tieUserToIsp(trx, user.id, local.id);
  });
}

// DoT and DoH need a certificate: without GATEWAY_TLS_CERT/KEY, a self-signed pair kept under
// data/tls (made once with the openssl CLI). Its fingerprint is what clients pin, so say it.
const tlsEnv: Record<string, string> = {};
if (!process.env.GATEWAY_TLS_CERT && !process.env.GATEWAY_TLS_KEY) {
  const pair = await ensureSelfSignedPair(join(dataDir, 'tls'));
  tlsEnv.GATEWAY_TLS_CERT = pair.certFile;
  tlsEnv.GATEWAY_TLS_KEY = pair.keyFile;
  logger.info({ cert: pair.certFile, created: pair.created }, `DoT/DoH certificate (self-signed) SHA-256 fingerprint ${pair.fingerprint256}`);
}

// Its own process: the gateway forks DNS workers with `cluster`, which must not fork the register too.
const gatewayMain = fileURLToPath(new URL('../services/filter-gateway/src/main.ts', import.meta.url));
const gateway: ChildProcess = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--import', 'tsx', gatewayMain], {
  env: {
    ...process.env,
    REGISTER_URL: register.url,
    ISP_TOKEN: isp.token,
    GATEWAY_DATA_DIR: process.env.GATEWAY_DATA_DIR || join(dataDir, 'gateway'),
    ...tlsEnv,
  },
  stdio: 'inherit',
});
logger.info(
  {
    register: register.url, adminTokenFile: join(dataDir, 'admin-token'), dns: `127.0.0.1:${process.env.DNS_PORT ?? 5353}`,
    dot: `127.0.0.1:${process.env.DOT_PORT ?? 8853}`, doh: `https://127.0.0.1:${process.env.DOH_PORT ?? 8053}/dns-query`,
  },
  'Tizilim is up: register-api and filter-gateway (see the README tour)',
);

let closing = false;
const gatewayExited = new Promise<void>((resolve) => gateway.once('exit', () => resolve()));
/** Ctrl-C stops both within 3 s: the gateway drains and keeps its snapshot, the register ends its long-polls at once. */
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  const started = Date.now();
  logger.info({ signal }, 'stopping register-api and filter-gateway');
  setTimeout(() => {
    logger.error({ ms: Date.now() - started }, 'stop took too long; exiting');
    gateway.kill('SIGKILL');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGTERM');
  const registerClosed = register.close().then(() => {
    logger.info({ ms: Date.now() - started }, 'register-api stopped');
  }, (err: unknown) => {
    logger.error({ err }, 'error while stopping the register');
    process.exitCode = 1;
  });
  void Promise.all([registerClosed, gatewayExited]).then(() => {
    logger.info({ ms: Date.now() - started }, 'stopped');
    process.exit();
  });
};
gateway.once('exit', (code) => {
  if (!closing) {
    logger.error({ code }, 'filter-gateway stopped; stopping the register too');
    process.exitCode = 1;
    shutdown('gateway exit');
  }
});
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

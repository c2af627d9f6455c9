/**
 * One register-api process for the benchmark: `startRegister` with the configuration read from
 * the environment (as main.ts does), announcing its URL as one stdout line `REGISTER_URL <url>`,
 * and stopping in order on SIGTERM/SIGINT. Started by register-bench.ts, pinned to a core.
 */
import { pino } from 'pino';
import { loadRegisterConfig } from '@tizilim/register-api/config';
import { startRegister } from '@tizilim/register-api/register-service';

const config = loadRegisterConfig(process.env);
const logger = pino({ level: config.LOG_LEVEL, name: process.env['BENCH_INSTANCE'] ?? 'register-bench' });
const register = await startRegister(config, logger);
process.stdout.write(`REGISTER_URL ${register.url}\n`);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  // A stuck stream must not keep the benchmark waiting: give the orderly stop 5 s.
  setTimeout(() => process.exit(0), 5000).unref();
  register.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent went away without a signal (crash): stop too.
process.stdin.on('end', stop);
process.stdin.resume();

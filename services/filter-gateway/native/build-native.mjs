#!/usr/bin/env node
/**
 * Builds native/build/udp-batch.node from udp-batch.c with the system C compiler and Node's
 * own headers (no node-gyp: one C file, and node-gyp would want to download headers).
 * Runs before `npm start` and `npm test`; it does nothing when the addon is newer than its
 * source. Without a compiler the gateway still works on dgram: this prints why and exits 0,
 * unless TIZILIM_REQUIRE_NATIVE=1 (CI) makes that an error.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'udp-batch.c');
const target = join(here, 'build', 'udp-batch.node');
const required = process.env.TIZILIM_REQUIRE_NATIVE === '1';

function headerDirs() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    process.env.npm_config_nodedir ? join(process.env.npm_config_nodedir, 'include', 'node') : '',
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.filter((d) => d && existsSync(join(d, 'node_api.h')) && existsSync(join(d, 'uv.h')));
}

function main() {
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs) return;
  if (process.platform !== 'linux') return skip(`recvmmsg/sendmmsg are Linux-only (this is ${process.platform})`);
  const [include] = headerDirs();
  if (!include) return skip("Node's headers (node_api.h, uv.h) were not found");
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  try {
    execFileSync(cc, [
      '-O2', '-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC', '-shared',
      '-DNODE_GYP_MODULE_NAME=udp_batch', `-I${include}`, source, '-o', partial,
    ], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    return skip(`${cc} failed: ${err.message.split('\n')[0]}`);
  }
  // Renamed into place so a concurrent loader never sees half a library.
  renameSync(partial, target);
  process.stdout.write(`filter-gateway: built ${target}\n`);
}

function skip(why) {
  process.stderr.write(`filter-gateway: batched UDP addon not built (${why}); the gateway will use dgram\n`);
  if (required) process.exitCode = 1;
}

main();

// Bundles verify-log into one ES module that runs with plain Node ≥ 20 and nothing installed:
// `node verify-log.mjs <register URL>`. The register serves it at GET /tlog/verify-log.mjs; a
// test fails when the committed file is not what this script writes now.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function bundleVerifyLog(outfile) {
  return build({
    absWorkingDir: root,
    entryPoints: ['services/register-api/src/cli/verify-log.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    write: outfile !== undefined,
    legalComments: 'none',
    banner: { js: '#!/usr/bin/env node\n// Tizilim verify-log, bundled by scripts/build-verify-log.mjs. Usage: node verify-log.mjs --help' },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleVerifyLog(process.argv[2] ?? 'services/register-api/bundle/verify-log.mjs');
}

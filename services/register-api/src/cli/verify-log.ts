/**
 * Verifies the public log offline: `verify-log [--public-key <base64>] <base URL or NDJSON file>`.
 * Exit code 0 when the log verifies, 1 when it is tampered or invalid, 2 for usage or
 * download errors. All checking lives in @tizilim/shared/public-log.
 */
import { parseArgs } from 'node:util';
import {
  LogSourceError,
  decodeStrictBase64,
  verifyLogAt,
  verifyLogFile,
  type VerifyResult,
} from '@tizilim/shared/public-log/index';

const USAGE = 'usage: verify-log [--public-key <base64 Ed25519 key>] <register base URL | NDJSON file>';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'public-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const [source, ...extra] = parsed.positionals;
  if (source === undefined || extra.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const expectedPublicKey = parsed.values['public-key'];
  if (expectedPublicKey !== undefined && decodeStrictBase64(expectedPublicKey)?.length !== 32) {
    console.error('--public-key must be base64 of a raw 32-byte Ed25519 public key');
    return 2;
  }

  let result: VerifyResult;
  try {
    const opts = expectedPublicKey === undefined ? {} : { expectedPublicKey };
    result = /^https?:\/\//i.test(source) ? await verifyLogAt(source, opts) : await verifyLogFile(source, opts);
  } catch (error) {
    // Anything unexpected is reported as "could not verify", never as a verdict on the log.
    console.error(error instanceof LogSourceError ? `ERROR: ${error.message}` : error);
    return 2;
  }
  console.log(describe(result));
  return result.ok ? 0 : 1;
}

function describe(result: VerifyResult): string {
  if (!result.ok) {
    return result.where === 'checkpoint'
      ? `INVALID CHECKPOINT (seq ${result.firstBadSeq}): ${result.reason}`
      : `TAMPERED at seq ${result.firstBadSeq}: ${result.reason}`;
  }
  const { count, head, checkpoint } = result;
  const signed = checkpoint
    ? `checkpoint seq ${checkpoint.seq} signed by ${checkpoint.publicKey}`
    : 'no signed checkpoint (the chain is consistent, but nothing proves who wrote it)';
  return `OK: ${count} entries, head seq ${head.seq} hash ${head.hash}, ${signed}`;
}

process.exitCode = await main(process.argv.slice(2));

/**
 * Verifies the public log: `verify-log [options] <register base URL | NDJSON file>`.
 *
 * Against a register (URL): checks the transparency-log checkpoint (`/tlog/checkpoint`) with the
 * log's key, its consistency with the last checkpoint this verifier accepted (kept in a state
 * file), its right edge folding to the signed root and every hash tile; `--full` also reads every entry bundle,
 * replays the hash chain and verifies the JSON log page by page. A register without a
 * transparency log is verified by its hash chain, as before.
 * Against an NDJSON file: the hash chain and its checkpoint line.
 *
 * Exit code 0 when the log verifies, 1 when it is tampered, rolled back, forked or signed by
 * another key, 2 for usage or download errors. The checking lives in @tizilim/shared, so this
 * file bundles into one .mjs that runs with plain Node (`npm run build:verify-log`).
 */
import { parseArgs } from 'node:util';
import {
  LogSourceError,
  decodeStrictBase64,
  verifyLogAt,
  verifyLogFile,
  type VerifyResult,
} from '@tizilim/shared/public-log/index';
import { TlogHttp, readState, verifyTlog, writeState } from '@tizilim/shared/tlog-client/index';

const USAGE = `usage: verify-log [--key <note verifier key>] [--state <file> | --no-state] [--full] [--public-key <base64 Ed25519 key>] <register base URL | NDJSON file>
  --key         the log's note verifier key (GET /tlog/key); pin it, or it is taken from the state file, or trusted on first use
  --state       where the last verified checkpoint is kept (default ./verify-log.state.json)
  --no-state    do not read or write a state file
  --full        also read every entry bundle and hash tile, replay the hash chain and the JSON log
  --public-key  pins the key of the hash chain's checkpoints (legacy /public/v1/log/checkpoint)`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'public-key': { type: 'string' },
        key: { type: 'string' },
        state: { type: 'string' },
        'no-state': { type: 'boolean' },
        full: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
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
  const chainOpts = expectedPublicKey === undefined ? {} : { expectedPublicKey };

  try {
    if (!/^https?:\/\//i.test(source)) {
      const result = await verifyLogFile(source, chainOpts);
      console.log(describeChain(result));
      return result.ok ? 0 : 1;
    }
    const statePath = parsed.values['no-state'] ? undefined : (parsed.values.state ?? 'verify-log.state.json');
    const state = statePath ? await readState(statePath) : null;
    const verdict = await verifyTlog({ baseUrl: source, key: parsed.values.key, state, full: parsed.values.full ?? false, progress: (l) => console.error(l) });
    if (verdict.ok === false) {
      console.log(`${verdict.failure.toUpperCase()}: ${verdict.message}`);
      return 1;
    }
    if (verdict.ok === 'absent' || parsed.values.full) {
      const chain = await verifyLogAt(source, chainOpts);
      console.log(describeChain(chain));
      if (!chain.ok) return 1;
      if (verdict.ok === 'absent') return 0;
      // The bundles' bodies and the JSON log are one log: the chain hashes must meet.
      if (verdict.chainHead !== undefined && verdict.checkpoint.size > 0) {
        const entry = (await new TlogHttp(source).json(`public/v1/log/${verdict.checkpoint.size}`)) as { hash?: unknown };
        if (entry.hash !== verdict.chainHead) {
          console.log(`TAMPERED: the entry bundles chain to ${verdict.chainHead} at seq ${verdict.checkpoint.size}, the JSON log says ${String(entry.hash)}`);
          return 1;
        }
      }
    }
    const { checkpoint, previous } = verdict;
    const root = Buffer.from(checkpoint.root).toString('base64');
    const since = previous ? `consistent with the size ${previous.size} verified before` : 'first verification of this log';
    console.log(`OK: ${checkpoint.origin} tree size ${checkpoint.size} root ${root}, ${since}${parsed.values.full ? ', every entry and tile checked' : ''}`);
    if (verdict.keyFromServer) console.log(`NOTE: the key was taken from the register (${verdict.state.key}); pin it with --key to detect a key swap`);
    if (statePath) await writeState(statePath, verdict.state);
    return 0;
  } catch (error) {
    // Anything unexpected is reported as "could not verify", never as a verdict on the log.
    console.error(error instanceof LogSourceError ? `ERROR: ${error.message}` : error);
    return 2;
  }
}

function describeChain(result: VerifyResult): string {
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

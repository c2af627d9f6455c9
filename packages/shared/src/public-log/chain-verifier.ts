import { GENESIS_HASH, type PublicLogEntry, type SignedCheckpoint } from '../public-log-types.js';
import { verifyCheckpoint } from './checkpoint.js';
import { SHA256_HEX, entryHash } from './entry-hash.js';
import { entryShapeProblem } from './entry-shape.js';
import { decodeStrictBase64 } from './signing-key.js';

export interface VerifyOptions {
  /** A signed head to hold the chain to: its signature must verify and the entry at its seq must carry its hash. */
  checkpoint?: SignedCheckpoint;
  /** Base64 of the raw Ed25519 public key the checkpoint must be signed with; requires a checkpoint. */
  expectedPublicKey?: string;
}

export interface VerifyOk {
  ok: true;
  count: number;
  /** `{ seq: 0, hash: GENESIS_HASH }` for an empty log. */
  head: { seq: number; hash: string };
  /** The checkpoint that was verified, when one was given. */
  checkpoint?: SignedCheckpoint;
}

export interface VerifyFailure {
  ok: false;
  /**
   * The first seq at which the log is not what it should be: a missing, altered or
   * out-of-place entry. When only the checkpoint exposes a rewrite, the damage lies at or
   * before this seq. For `where: 'checkpoint'` it is the checkpoint's seq (0 when there is none).
   */
  firstBadSeq: number;
  reason: string;
  /** Whether the log's entries or the checkpoint itself (signature, key) failed. */
  where: 'entry' | 'checkpoint';
}

export type VerifyResult = VerifyOk | VerifyFailure;

/**
 * Verifies a log from genesis one entry at a time, keeping only the previous entry's hash and
 * time, so a log of any length can be checked while it streams in. Call `push` for every
 * entry in order, then `finish` once. After the first failure further entries are ignored.
 */
export class ChainVerifier {
  readonly #checkpoint: SignedCheckpoint | undefined;
  #count = 0;
  #prevHash = GENESIS_HASH;
  #prevTime: string | null = null;
  #failure: VerifyFailure | null;
  #finished = false;

  constructor(opts: VerifyOptions = {}) {
    this.#checkpoint = opts.checkpoint;
    this.#failure = checkpointFailure(opts);
  }

  /** Checks the next entry; returns false once the log has failed (it stays failed). */
  push(entry: unknown): boolean {
    if (this.#finished) throw new Error('ChainVerifier: push after finish');
    if (this.#failure) return false;
    const expectedSeq = this.#count + 1;
    const shapeProblem = entryShapeProblem(entry);
    if (shapeProblem) return this.#fail(expectedSeq, `malformed entry: ${shapeProblem}`);
    const e = entry as PublicLogEntry;

    if (e.seq !== expectedSeq) {
      return this.#fail(
        expectedSeq,
        e.seq < expectedSeq
          ? `seq ${e.seq} appears again where ${expectedSeq} should be (entry repeated or out of order)`
          : `entry missing or out of order: found seq ${e.seq} where ${expectedSeq} should be`,
      );
    }
    if (e.prevHash !== this.#prevHash) {
      return this.#fail(
        e.seq,
        e.seq === 1 ? 'prevHash is not the genesis hash' : `prevHash does not match the hash of entry ${e.seq - 1}`,
      );
    }
    let recomputed: string;
    try {
      recomputed = entryHash(e.prevHash, e);
    } catch (error) {
      // e.g. a lone surrogate in a string: valid JSON text, but it has no canonical form.
      return this.#fail(e.seq, `content cannot be canonicalised: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (recomputed !== e.hash) return this.#fail(e.seq, 'hash does not match its content');
    // Both times passed the fixed-width ISO format check, so text order is time order.
    if (this.#prevTime !== null && e.time < this.#prevTime) {
      return this.#fail(e.seq, `time ${e.time} is earlier than the previous entry's ${this.#prevTime}`);
    }
    const cp = this.#checkpoint;
    if (cp && cp.seq === e.seq && cp.hash !== e.hash) {
      return this.#fail(
        e.seq,
        `hash differs from the signed checkpoint ${cp.hash}: the log was rewritten at or before this seq`,
      );
    }

    this.#count = e.seq;
    this.#prevHash = e.hash;
    this.#prevTime = e.time;
    return true;
  }

  /** Records that the next entry could not even be parsed (e.g. a line that is not JSON). */
  pushUnreadable(detail: string): boolean {
    if (this.#finished) throw new Error('ChainVerifier: push after finish');
    if (this.#failure) return false;
    return this.#fail(this.#count + 1, `unreadable entry: ${detail}`);
  }

  finish(): VerifyResult {
    this.#finished = true;
    if (this.#failure) return this.#failure;
    const cp = this.#checkpoint;
    if (cp && cp.seq > this.#count) {
      // A log cut short after the checkpoint was signed: the signed entries must still be there.
      this.#failure = entryFailure(
        this.#count + 1,
        `log ends at seq ${this.#count} but the signed checkpoint covers seq ${cp.seq}: entries are missing`,
      );
      return this.#failure;
    }
    const head = { seq: this.#count, hash: this.#prevHash };
    return cp ? { ok: true, count: this.#count, head, checkpoint: cp } : { ok: true, count: this.#count, head };
  }

  #fail(firstBadSeq: number, reason: string): false {
    this.#failure = entryFailure(firstBadSeq, reason);
    return false;
  }
}

/** Verifies a whole log held in an iterable (which may itself be lazy). */
export function verifyChain(entries: Iterable<unknown>, opts: VerifyOptions = {}): VerifyResult {
  const verifier = new ChainVerifier(opts);
  for (const entry of entries) {
    if (!verifier.push(entry)) break;
  }
  return verifier.finish();
}

function checkpointFailure({ checkpoint: cp, expectedPublicKey }: VerifyOptions): VerifyFailure | null {
  const fail = (reason: string): VerifyFailure => ({
    ok: false,
    firstBadSeq: typeof cp?.seq === 'number' ? cp.seq : 0,
    reason,
    where: 'checkpoint',
  });
  let expectedKey: Buffer | null = null;
  if (expectedPublicKey !== undefined) {
    expectedKey = decodeStrictBase64(expectedPublicKey);
    // A typo in the pinned key is the caller's mistake, not evidence about the log.
    if (expectedKey?.length !== 32) throw new TypeError('expectedPublicKey must be base64 of a raw 32-byte Ed25519 key');
  }
  if (!cp) {
    // Without this, stripping the checkpoint would defeat the pin.
    return expectedKey ? fail('no signed checkpoint, but a public key was pinned') : null;
  }
  if (!verifyCheckpoint(cp)) return fail('checkpoint signature is not valid');
  if (!SHA256_HEX.test(cp.hash)) return fail('checkpoint hash is not 64 lower-case hex digits');
  if (expectedKey && !expectedKey.equals(decodeStrictBase64(cp.publicKey) ?? Buffer.alloc(0))) {
    return fail(`checkpoint is signed by ${cp.publicKey}, not by the pinned key ${expectedPublicKey}`);
  }
  if (cp.seq === 0 && cp.hash !== GENESIS_HASH) return fail('checkpoint at seq 0 must carry the genesis hash');
  return null;
}

function entryFailure(firstBadSeq: number, reason: string): VerifyFailure {
  return { ok: false, firstBadSeq, reason, where: 'entry' };
}

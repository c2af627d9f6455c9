import {
  NoteError, TLOG_SIZE_CONTENT_TYPE, openNote, parseAddCheckpoint, parseCheckpoint, parseNote, verifyConsistency,
  type Checkpoint, type Cosigner, type NoteVerifier,
} from '@tizilim/shared/tlog/index';
import { decodeStrictBase64 } from '@tizilim/shared/public-log/index';
import { saveWitnessState, type WitnessAlarm, type WitnessStateFile } from './witness-state.js';

export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface WitnessEvents {
  alarm(alarm: WitnessAlarm): void;
  cosigned(origin: string, size: number): void;
}

/**
 * The witness's decisions (C2SP tlog-witness add-checkpoint, and the same checks for polled
 * checkpoints): it only ever moves a log forward along a consistency proof, and it records a
 * smaller tree (rollback) or a different root for a size it knows (fork) as an alarm.
 * Per-origin work is serialised, so checking the old size and storing the new one is atomic.
 */
export class WitnessCore {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: WitnessStateFile,
    private readonly statePath: string,
    private readonly logs: ReadonlyMap<string, NoteVerifier>,
    private readonly cosigner: Cosigner,
    private readonly events: WitnessEvents,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** POST /add-checkpoint */
  addCheckpoint(body: string): Promise<WitnessAnswer> {
    return this.#serialised(() => this.#addCheckpoint(body));
  }

  /** A checkpoint the witness fetched itself: same checks, no cosignature handed out. */
  observe(note: string, proofFrom: (size: number) => Promise<Buffer[]>): Promise<'advanced' | 'unchanged' | 'alarm' | 'invalid'> {
    return this.#serialised(async () => {
      const opened = this.#open(note);
      if ('status' in opened) return 'invalid';
      const { cp } = opened;
      const known = this.state.logs[cp.origin];
      if (known) {
        const verdict = await this.#compare(cp, note, known.size, known.root);
        if (verdict === 'alarm') return 'alarm';
        if (verdict === 'same') return 'unchanged';
        // A proof that cannot be had rejects (the poll is retried); one that does not verify is a fork.
        const proof = await proofFrom(known.size);
        if (!verifyConsistency(known.size, cp.size, decodeStrictBase64(known.root)!, cp.root, proof)) {
          await this.#raise(cp.origin, 'fork', `FORK: checkpoint size ${cp.size} root ${b64(cp.root)} is not consistent with the size ${known.size} root ${known.root} seen before`, note);
          return 'alarm';
        }
      }
      await this.#store(cp, note);
      return 'advanced';
    });
  }

  async #addCheckpoint(body: string): Promise<WitnessAnswer> {
    let request;
    try {
      request = parseAddCheckpoint(body);
    } catch (error) {
      return answer(400, (error as Error).message);
    }
    const opened = this.#open(request.checkpoint);
    if ('status' in opened) return opened;
    const { cp } = opened;
    const note = request.checkpoint;
    const known = this.state.logs[cp.origin];
    const knownSize = known?.size ?? 0;
    if (known && cp.size < known.size) {
      await this.#raise(cp.origin, 'rollback', `ROLLBACK: offered size ${cp.size} root ${b64(cp.root)} after size ${known.size} root ${known.root}`, note);
    }
    if (request.oldSize > cp.size) return answer(400, `old size ${request.oldSize} is larger than the checkpoint size ${cp.size}`);
    if (request.oldSize !== knownSize) return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${knownSize}\n` };
    if (known && cp.size === known.size) {
      if ((await this.#compare(cp, note, known.size, known.root)) === 'alarm') return answer(409, 'a checkpoint of this size with another root was cosigned before');
    } else if (request.oldSize === 0) {
      if (request.proof.length > 0) return answer(400, 'the consistency proof must be empty when old is 0');
    } else if (!verifyConsistency(known!.size, cp.size, decodeStrictBase64(known!.root)!, cp.root, request.proof)) {
      await this.#raise(cp.origin, 'fork', `FORK: checkpoint size ${cp.size} root ${b64(cp.root)} does not prove consistency with size ${known!.size} root ${known!.root}`, note);
      return answer(422, 'the consistency proof does not verify');
    }
    await this.#store(cp, note);
    this.events.cosigned(cp.origin, cp.size);
    const text = parseNote(note).text;
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: this.cosigner.cosign(text, this.now()) };
  }

  #open(note: string): { cp: Checkpoint } | WitnessAnswer {
    let text: string;
    try {
      text = parseNote(note).text;
    } catch (error) {
      return answer(400, (error as Error).message);
    }
    const cp = parseCheckpoint(text);
    if (!cp) return answer(400, 'not a checkpoint (origin, size, base64 root)');
    const verifier = this.logs.get(cp.origin);
    if (!verifier) return answer(404, `unknown log ${cp.origin}`);
    try {
      openNote(note, [verifier]);
    } catch (error) {
      return answer(403, error instanceof NoteError ? error.message : 'the checkpoint signature does not verify');
    }
    return { cp };
  }

  /** Same size: same root or a fork. Smaller: a rollback. Larger: needs a proof. */
  async #compare(cp: Checkpoint, note: string, size: number, root: string): Promise<'same' | 'grow' | 'alarm'> {
    if (cp.size > size) return 'grow';
    if (cp.size === size && b64(cp.root) === root) return 'same';
    if (cp.size === size) {
      await this.#raise(cp.origin, 'fork', `FORK: two checkpoints of size ${size}: root ${root} seen before, root ${b64(cp.root)} now`, note);
    } else {
      await this.#raise(cp.origin, 'rollback', `ROLLBACK: size ${cp.size} root ${b64(cp.root)} after size ${size} root ${root}`, note);
    }
    return 'alarm';
  }

  async #raise(origin: string, kind: WitnessAlarm['kind'], message: string, checkpoint: string): Promise<void> {
    const alarm: WitnessAlarm = { at: new Date().toISOString(), origin, kind, message, checkpoint };
    this.events.alarm(alarm);
    // Said at every poll while it lasts, but kept as evidence once: the same offending checkpoint
    // seen again adds nothing, and the state file would otherwise grow by one copy per poll.
    if (this.state.alarms.some((a) => a.origin === origin && a.kind === kind && a.checkpoint === checkpoint)) return;
    this.state.alarms.push(alarm);
    await saveWitnessState(this.statePath, this.state);
  }

  async #store(cp: Checkpoint, note: string): Promise<void> {
    this.state.logs[cp.origin] = { size: cp.size, root: b64(cp.root), checkpoint: note };
    await saveWitnessState(this.statePath, this.state);
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(work);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

const b64 = (h: Uint8Array): string => Buffer.from(h).toString('base64');
const answer = (status: number, message: string): WitnessAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body: `${message}\n` });

import type { ResourceKind, RuleMode } from '@tizilim/shared';
import type { PublicEntrySource } from './public-view.js';

/** What the public sees of one open span, as it arrives from the database. */
export interface OpenSpan {
  /** seq of the log entry that opened it */
  seq: number;
  mode: RuleMode;
  startsAt: Date;
  /** planned end of a suspension */
  endsAt: Date | null;
  decisionId: string;
  category: string;
  basisKind: PublicEntrySource['basis_kind'];
  authority: string;
  documentNumber: string;
  issuedAt: string;
  kind: ResourceKind;
  value: string;
  display: string;
  host: string | null;
}

/** How long a span is in force, and how. */
interface Timing {
  mode: RuleMode;
  startsMs: number;
  /** NaN: no planned end */
  endsMs: number;
}

/**
 * Shared by every span of one decision: a register has thousands of decisions, not millions,
 * and a decision opens all its spans at once, in one mode, to one planned end (its timing).
 */
interface DecisionRecord extends Timing {
  decision_id: string;
  category: string;
  basis: { basis_kind: OpenSpan['basisKind']; authority: string; document_number: string; issued_at: string };
}

const DEAD = -1;

/**
 * The public details of every open span, keyed by the seq of the log entry that opened it,
 * in two typed arrays: per span its seq and the index of its decision, which is interned with
 * its legal basis and the timing its spans share. Resource text is not kept: the caller found
 * the span by kind and value, and display and host follow from them except for IDN names and
 * the like, kept aside (`#unusualResources`), as are spans timed unlike their decision's first.
 *
 * Spans open in log order, so seqs only ever grow: a new span goes at the end, a closed one
 * is marked dead and squeezed out later, and a lookup is a binary search. 8 bytes a span.
 */
export class ActiveEntries {
  #seq = new Uint32Array(1024);
  #decision = new Int32Array(1024);
  #count = 0;
  #dead = 0;
  readonly #decisions: DecisionRecord[] = [];
  readonly #decisionIndex = new Map<string, number>();
  readonly #bases = new Map<string, DecisionRecord['basis']>();
  /** seq → display and host, for spans whose resource text is not the usual function of kind and value */
  readonly #unusualResources = new Map<number, { display: string; host: string | null }>();
  /** seq → timing, for spans timed unlike their decision's record */
  readonly #unusualTimings = new Map<number, Timing>();

  constructor(expected = 1024) {
    if (expected > 1024) this.#resize(Math.ceil(expected));
  }

  /** Open spans held. */
  get size(): number {
    return this.#count - this.#dead;
  }

  get decisionCount(): number {
    return this.#decisions.length;
  }

  get unusualCount(): number {
    return this.#unusualResources.size + this.#unusualTimings.size;
  }

  /** Bytes in typed arrays (outside the V8 heap). */
  get byteSize(): number {
    return this.#seq.byteLength + this.#decision.byteLength;
  }

  /** Appends a span; its seq must be above every seq held. */
  add(span: OpenSpan): void {
    if (!(span.seq > 0 && span.seq <= 0xffffffff)) throw new RangeError(`span of entry ${span.seq}: not a log seq this copy can hold`);
    if (this.#count > 0 && span.seq <= this.#seq[this.#count - 1]!) throw new RangeError(`span of entry ${span.seq} arrives after entry ${this.#seq[this.#count - 1]}`);
    if (this.#count === this.#seq.length) this.#grow();
    const timing: Timing = { mode: span.mode, startsMs: span.startsAt.getTime(), endsMs: span.endsAt ? span.endsAt.getTime() : NaN };
    const d = this.#intern(span, timing);
    const i = this.#count++;
    this.#seq[i] = span.seq;
    this.#decision[i] = d;
    const shared = this.#decisions[d]!;
    if (shared.mode !== timing.mode || shared.startsMs !== timing.startsMs || !Object.is(shared.endsMs, timing.endsMs)) this.#unusualTimings.set(span.seq, timing);
    if (span.display !== usualDisplay(span.kind, span.value) || (span.kind !== 'url' && span.host !== usualHost(span.kind, span.value))) {
      this.#unusualResources.set(span.seq, { display: span.display, host: span.host });
    }
  }

  /** Marks the span opened by `seq` closed; false if it was not held. */
  remove(seq: number): boolean {
    const i = this.#find(seq);
    if (i < 0) return false;
    this.#decision[i] = DEAD;
    this.#unusualResources.delete(seq);
    this.#unusualTimings.delete(seq);
    this.#dead++;
    if (this.#dead > 1024 && this.#dead > this.#count / 4) this.#squeeze();
    return true;
  }

  has(seq: number): boolean {
    return this.#find(seq) >= 0;
  }

  /**
   * The span opened by `seq` as `publicEntry` reads it, if it is in force at `nowMs` (started,
   * and not past its planned end: the database answers the same before the scheduler closes
   * it). `kind` and `value` are what the span was found by; for a URL, `urlHost` its host.
   * Undefined when not in force; null when not held at all (the copy is inconsistent).
   */
  row(seq: number, kind: ResourceKind, value: string, urlHost: string | null, nowMs: number): PublicEntrySource | undefined | null {
    const i = this.#find(seq);
    if (i < 0) return null;
    const d = this.#decisions[this.#decision[i]!]!;
    const t = this.#unusualTimings.get(seq) ?? d;
    if (t.startsMs > nowMs || t.endsMs <= nowMs) return undefined;
    const unusual = this.#unusualResources.get(seq);
    return {
      add_seq: seq,
      kind,
      value,
      display: unusual ? unusual.display : usualDisplay(kind, value),
      host: unusual ? unusual.host : kind === 'url' ? urlHost : usualHost(kind, value),
      category: d.category,
      closed_at: null,
      mode: t.mode,
      starts_at: new Date(t.startsMs),
      ends_at: Number.isNaN(t.endsMs) ? null : new Date(t.endsMs),
      end_reason: null,
      decision_id: d.decision_id,
      ...d.basis,
    };
  }

  #find(seq: number): number {
    let lo = 0;
    let hi = this.#count - 1;
    const seqs = this.#seq;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = seqs[mid]!;
      if (s < seq) lo = mid + 1;
      else if (s > seq) hi = mid - 1;
      else return this.#decision[mid] === DEAD ? -1 : mid;
    }
    return -1;
  }

  #intern(span: OpenSpan, timing: Timing): number {
    const known = this.#decisionIndex.get(span.decisionId);
    if (known !== undefined) return known;
    const basisKey = JSON.stringify([span.basisKind, span.authority, span.documentNumber, span.issuedAt]);
    let basis = this.#bases.get(basisKey);
    if (!basis) {
      basis = { basis_kind: span.basisKind, authority: span.authority, document_number: span.documentNumber, issued_at: span.issuedAt };
      this.#bases.set(basisKey, basis);
    }
    // A decision's category and basis never change once it is approved, so its first span speaks for all.
    const index = this.#decisions.push({ decision_id: span.decisionId, category: span.category, basis, ...timing }) - 1;
    this.#decisionIndex.set(span.decisionId, index);
    return index;
  }

  #grow(): void {
    this.#resize(Math.max(1024, Math.ceil(this.#seq.length * 1.5)));
  }

  #resize(length: number): void {
    const n = this.#count;
    const seq = new Uint32Array(length); seq.set(this.#seq.subarray(0, n)); this.#seq = seq;
    const decision = new Int32Array(length); decision.set(this.#decision.subarray(0, n)); this.#decision = decision;
  }

  /** Drops the dead spans, keeping the order (and so the binary search). */
  #squeeze(): void {
    let w = 0;
    for (let r = 0; r < this.#count; r++) {
      if (this.#decision[r] === DEAD) continue;
      this.#seq[w] = this.#seq[r]!;
      this.#decision[w] = this.#decision[r]!;
      w++;
    }
    this.#count = w;
    this.#dead = 0;
  }
}

/** How the register writes a resource for people when nothing needs converting (no IDN). */
function usualDisplay(kind: ResourceKind, value: string): string {
  return kind === 'domain_suffix' ? `*.${value}` : value;
}

function usualHost(kind: ResourceKind, value: string): string | null {
  return kind === 'domain' || kind === 'domain_suffix' ? value : null;
}

import type { Logger } from 'pino';
import type { XfrAccessList } from './xfr-access.js';
import {
  CLASS_ANY, CLASS_IN, FLAG_QR, OPCODE_QUERY, RCODE_FORMERR, RCODE_NOTIMP, RCODE_REFUSED, RCODE_SERVFAIL,
  TYPE_AXFR, TYPE_IXFR, TYPE_NS, TYPE_SOA,
} from './xfr-constants.js';
import { XfrMessageWriter, type MessageSink } from './xfr-message-writer.js';
import type { TransferKind, XfrMetrics } from './xfr-metrics.js';
import { parseXfrRequest, type XfrRequest } from './xfr-request.js';
import type { RpzZone } from './rpz-zone.js';
import { ReplayGuard, TsigSigner, tsigErrorResponse, verifyRequest } from './tsig.js';
import type { TsigKey } from './tsig-keys.js';
import { WireError } from './wire-names.js';
import type { RefusalLogLimiter } from './refusal-log.js';

export interface XfrContext {
  zone: RpzZone;
  /** The origin in lower case with trailing dot, and its wire length. */
  origin: string;
  originWireLength: number;
  keys: ReadonlyMap<string, TsigKey>;
  access: XfrAccessList;
  replay: ReplayGuard;
  metrics: XfrMetrics;
  log: Logger;
  nowSec?: () => number;
  /** When set, bounds the warn lines for refusals (refusal-log.ts); without it every refusal is logged. */
  refusalLog?: RefusalLogLimiter;
}

/** A refusal's warn line, through the limiter when the context has one. */
export function warnRefusal(ctx: XfrContext, key: string, fields: Record<string, unknown>, msg: string): void {
  if (!ctx.refusalLog) { ctx.log.warn(fields, msg); return; }
  const a = ctx.refusalLog.admit(key);
  if (!a.log) return;
  const extra: Record<string, unknown> = {};
  if (a.suppressed > 0) extra.suppressedSinceLast = a.suppressed;
  if (a.droppedOverall > 0) extra.droppedLinesLastWindow = a.droppedOverall;
  ctx.log.warn({ ...fields, ...extra }, msg);
}

export class TransferAborted extends Error {}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A header-only answer for queries too damaged to echo: same ID, QR, the rcode. */
function bareAnswer(msg: Uint8Array, rcode: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = msg[0] ?? 0;
  b[1] = msg[1] ?? 0;
  b.writeUInt16BE(FLAG_QR | ((msg[2] ?? 0) & 0x78) << 8 | rcode, 2);
  return b;
}

/**
 * Answers one query to the primary (TCP or UDP): SOA and NS at the apex, AXFR (RFC 5936) and
 * IXFR (RFC 1995) of the zone. A signed query must verify (RFC 8945) whoever sends it; an
 * unsigned one is served only to `RPZ_XFR_ALLOW`. Every refusal is logged with its reason.
 */
export async function answerXfrQuery(
  ctx: XfrContext, msg: Buffer, remote: string, transport: 'tcp' | 'udp', send: MessageSink, closed: () => boolean,
): Promise<void> {
  if (msg.length < 12 || (msg[2]! & 0x80) !== 0) return; // not a query: never answer an answer
  const now = (ctx.nowSec ?? nowSeconds)();
  let req: XfrRequest;
  try {
    req = parseXfrRequest(msg);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    ctx.metrics.refused.inc({ reason: 'formerr' });
    ctx.log.debug({ remote, transport, reason: err.message }, 'malformed query to the RPZ primary');
    await send(bareAnswer(msg, RCODE_FORMERR));
    return;
  }
  let signer: TsigSigner | undefined;
  if (req.tsigStart !== undefined) {
    const v = verifyRequest(msg, req.tsigStart, ctx.keys, now, ctx.replay);
    if (!v.ok) {
      ctx.metrics.refused.inc({ reason: v.failure === 'formerr' ? 'formerr' : `tsig_${v.failure}` });
      warnRefusal(ctx, `${remote}|tsig|${v.failure}|${v.keyName}`,
        { remote, transport, key: v.keyName, tsig: v.failure, qtype: req.qtype }, 'RPZ transfer refused: TSIG did not verify');
      const header = Buffer.concat([bareAnswer(msg, 0), req.question]);
      header.writeUInt16BE(1, 4);
      if (v.failure === 'formerr') { await send(bareAnswer(msg, RCODE_FORMERR)); return; }
      await send(tsigErrorResponse(header, v, now, req.id));
      return;
    }
    signer = new TsigSigner(v.key, v.mac, req.id);
  } else if (!ctx.access.allows(remote)) {
    ctx.metrics.refused.inc({ reason: 'acl' });
    warnRefusal(ctx, `${remote}|acl`, { remote, transport, qtype: req.qtype }, 'RPZ transfer refused: unsigned and not in RPZ_XFR_ALLOW');
    await simple(ctx, req, RCODE_REFUSED, undefined, send);
    return;
  }
  const signed: MessageSink = signer ? (m) => send(signer.sign(m, (ctx.nowSec ?? nowSeconds)())) : send;

  if (req.opcode !== OPCODE_QUERY) { await simple(ctx, req, RCODE_NOTIMP, undefined, signed); return; }
  if (req.qname !== ctx.origin || (req.qclass !== CLASS_IN && req.qclass !== CLASS_ANY)) {
    ctx.metrics.refused.inc({ reason: 'not_our_zone' });
    await simple(ctx, req, RCODE_REFUSED, undefined, signed);
    return;
  }
  const serial = ctx.zone.serial;
  if (serial === undefined) { await simple(ctx, req, RCODE_SERVFAIL, undefined, signed); return; }

  switch (req.qtype) {
    case TYPE_SOA:
      await simple(ctx, req, 0, async (w) => { await w.soa(serial); }, signed);
      ctx.metrics.transfers.inc({ kind: 'soa', result: 'ok' });
      return;
    case TYPE_NS:
      await simple(ctx, req, 0, async (w) => { await w.ns(); }, signed);
      return;
    case TYPE_AXFR:
      if (transport === 'udp') { await simple(ctx, req, RCODE_NOTIMP, undefined, signed); return; }
      await transfer(ctx, req, 'axfr', remote, signed, closed, !!signer);
      return;
    case TYPE_IXFR:
      if (req.clientSerial === undefined) { await simple(ctx, req, RCODE_FORMERR, undefined, signed); return; }
      if (transport === 'udp' || req.clientSerial === serial || serialNewer(req.clientSerial, serial)) {
        // Up to date (or newer), or over UDP: the current SOA alone; UDP clients then use TCP (RFC 1995 §2).
        await simple(ctx, req, 0, async (w) => { await w.soa(serial); }, signed);
        ctx.metrics.transfers.inc({ kind: 'ixfr_current', result: 'ok' });
        return;
      }
      await transfer(ctx, req, ctx.zone.journal.since(req.clientSerial) ? 'ixfr' : 'ixfr_full', remote, signed, closed, !!signer);
      return;
    default:
      await simple(ctx, req, RCODE_REFUSED, undefined, signed);
  }
}

/** RFC 1982 serial arithmetic: is `a` after `b`? */
function serialNewer(a: number, b: number): boolean {
  return a !== b && ((a - b) >>> 0) < 0x80000000;
}

async function simple(
  ctx: XfrContext, req: XfrRequest, rcode: number, fill: ((w: XfrMessageWriter) => Promise<void>) | undefined, send: MessageSink,
): Promise<void> {
  const w = new XfrMessageWriter(req.id, req.question, ctx.originWireLength, send, false, rcode);
  if (fill) await fill(w);
  await w.end();
}

/** AXFR, or IXFR from the journal, or IXFR answered with the whole zone (RFC 1995 §4). */
async function transfer(
  ctx: XfrContext, req: XfrRequest, kind: TransferKind, remote: string, send: MessageSink, closed: () => boolean, signed: boolean,
): Promise<void> {
  const started = performance.now();
  const w = new XfrMessageWriter(req.id, req.question, ctx.originWireLength, send, signed);
  let serial = ctx.zone.serial!;
  let from: number | undefined;
  try {
    const steps = kind === 'ixfr' ? ctx.zone.journal.since(req.clientSerial!) : undefined;
    if (steps && steps.length > 0) {
      from = req.clientSerial;
      serial = steps[steps.length - 1]!.to;
      await w.soa(serial);
      for (const s of steps) {
        await w.soa(s.from);
        for (const r of s.deleted) await w.record(r);
        await w.soa(s.to);
        for (const r of s.added) await w.record(r);
      }
      await w.soa(serial);
    } else {
      if (kind === 'ixfr') kind = 'ixfr_full';
      const view = ctx.zone.openView();
      if (!view) throw new TransferAborted('no zone');
      serial = view.serial;
      // Taken now, before any await lets a change land: one per transfer, so each `*.X` is written once.
      const cover = view.coverContext();
      try {
        await w.soa(serial);
        await w.ns();
        const n = view.rules.length;
        for (let i = 0; i < n; i++) {
          if (view.aborted) throw new TransferAborted('the rule set was reloaded during the transfer');
          const recs = view.recordsAt(i, cover);
          for (let j = 0; j < recs.length; j++) await w.record(recs[j]!);
          if ((i & 1023) === 0 && closed()) throw new TransferAborted('client went away');
        }
        await w.soa(serial);
      } finally {
        ctx.zone.closeView(view);
      }
    }
    await w.end();
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.transfers.inc({ kind, result: 'ok' });
    ctx.metrics.bytes.inc(w.bytes);
    ctx.metrics.duration.observe({ kind }, seconds);
    ctx.log.info({
      remote, kind, serial, from, records: w.records, messages: w.messages, bytes: w.bytes, skipped: w.skipped, signed,
      ms: Math.round(seconds * 1000),
    }, 'RPZ zone transferred');
  } catch (err) {
    ctx.metrics.transfers.inc({ kind, result: 'aborted' });
    ctx.log.warn({ remote, kind, serial, err: (err as Error).message }, 'RPZ transfer aborted');
    throw err;
  }
}

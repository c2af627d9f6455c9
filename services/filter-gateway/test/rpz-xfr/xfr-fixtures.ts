import net from 'node:net';
import dgram from 'node:dgram';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { FeedRule } from '@tizilim/shared';
import { RpzZone, type ZoneRules } from '../../src/rpz-xfr/rpz-zone.js';
import { ReplayGuard } from '../../src/rpz-xfr/tsig.js';
import { parseTsigKeys } from '../../src/rpz-xfr/tsig-keys.js';
import { XfrAccessList } from '../../src/rpz-xfr/xfr-access.js';
import { XfrMetrics } from '../../src/rpz-xfr/xfr-metrics.js';
import { XfrServer, DEFAULT_XFR_LIMITS, type XfrListenerLimits } from '../../src/rpz-xfr/xfr-server.js';
import { nameToWire } from '../../src/rpz-xfr/wire-names.js';
import type { SyncUpdate } from '../../src/sync/sync-engine.js';

export const ZONE = 'rpz.tizilim.';
export const KEY_NAME = 'test-key';
export const KEY_SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

/** The rule source a gateway's sync engine would be: a map, a version, update events. */
export class FakeRules implements ZoneRules {
  readonly rules = new Map<string, FeedRule>();
  version = -1;
  readonly #fns = new Set<(u: SyncUpdate) => void>();
  onUpdate(fn: (u: SyncUpdate) => void): () => void { this.#fns.add(fn); return () => this.#fns.delete(fn); }
  load(rules: FeedRule[], version: number): void {
    this.rules.clear();
    for (const r of rules) this.rules.set(`${r.kind} ${r.value}`, r);
    this.version = version;
    for (const f of this.#fns) f({ kind: 'reload', version });
  }
  change(add: FeedRule[], remove: string[], to: number): void {
    const steps = [];
    for (const k of remove) { steps.push({ before: this.rules.get(k), after: undefined }); this.rules.delete(k); }
    for (const r of add) { const k = `${r.kind} ${r.value}`; steps.push({ before: this.rules.get(k), after: r }); this.rules.set(k, r); }
    const from = this.version;
    this.version = to;
    for (const f of this.#fns) f({ kind: 'changes', from, to, steps });
  }
}

export function manyRules(n: number, entry = 1): FeedRule[] {
  const out: FeedRule[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ id: `r${i}`, kind: i % 20 === 0 ? 'domain_suffix' : 'domain', value: `name-${i}.example${i % 97}.kz`, mode: 'restrict', entry: entry + i });
  }
  return out;
}

export async function startXfr(rules: FakeRules, limits: Partial<XfrListenerLimits> = {}, allow = '127.0.0.0/8', nowSec?: () => number) {
  const registry = new Registry();
  const zone = new RpzZone(ZONE, rules, { maxSteps: 1000, maxRecords: 100_000 });
  const metrics = new XfrMetrics(registry, zone, () => Date.now());
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = new XfrServer({
    zone, origin: ZONE, originWireLength: nameToWire(ZONE).length,
    keys: parseTsigKeys(`${KEY_NAME}:${KEY_SECRET.toString('base64')}`), access: new XfrAccessList(allow),
    replay: new ReplayGuard(), metrics, log, ...(nowSec ? { nowSec } : {}),
  }, log, { ...DEFAULT_XFR_LIMITS, ...limits });
  const port = await server.listen('127.0.0.1', 0);
  return { server, zone, registry, port, close: async () => { await server.close(); zone.close(); } };
}

/** A query for the zone: AXFR (252), IXFR (251, with the client's SOA serial), SOA (6). */
export function xfrQuery(qtype: number, opts: { id?: number; serial?: number; name?: string } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? 0x1234, 0);
  header.writeUInt16BE(1, 4);
  const q = Buffer.concat([nameToWire(opts.name ?? ZONE), Buffer.from([qtype >> 8, qtype & 0xff, 0, 1])]);
  if (opts.serial === undefined) return Buffer.concat([header, q]);
  header.writeUInt16BE(1, 8);
  const soa = Buffer.alloc(2 + 10 + 2 + 20);
  soa.writeUInt16BE(0xc00c, 0);
  soa.writeUInt16BE(6, 2);
  soa.writeUInt16BE(1, 4);
  soa.writeUInt16BE(22, 10);
  soa[12] = 0; soa[13] = 0; // root mname, rname
  soa.writeUInt32BE(opts.serial >>> 0, 14);
  return Buffer.concat([header, q, soa]);
}

export function frame(m: Buffer): Buffer {
  const l = Buffer.alloc(2);
  l.writeUInt16BE(m.length);
  return Buffer.concat([l, m]);
}

/** Sends framed queries on one TCP connection and collects framed answers until `count` or close. */
export function tcpExchange(port: number, payload: Buffer, count: number, timeoutMs = 5000): Promise<{ messages: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const messages: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => { if (done) return; done = true; clearTimeout(t); s.destroy(); resolve({ messages, closed }); };
    const t = setTimeout(() => finish(false), timeoutMs);
    s.on('connect', () => s.write(payload));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        messages.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (messages.length >= count) finish(false);
      }
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

export function udpExchange(port: number, m: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
    s.on('message', (r) => { clearTimeout(t); s.close(); resolve(r); });
    s.send(m, port, '127.0.0.1');
  });
}

export const rcodeOf = (m: Buffer): number => m[3]! & 0x0f;
export const ancountOf = (m: Buffer): number => m.readUInt16BE(6);

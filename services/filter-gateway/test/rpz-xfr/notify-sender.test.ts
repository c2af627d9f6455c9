import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { NotifySender } from '../../src/rpz-xfr/notify-sender.js';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import { ReplayGuard, verifyRequest } from '../../src/rpz-xfr/tsig.js';
import { parseTsigKeys } from '../../src/rpz-xfr/tsig-keys.js';
import { XfrMetrics } from '../../src/rpz-xfr/xfr-metrics.js';
import { parseXfrRequest } from '../../src/rpz-xfr/xfr-request.js';
import { FakeRules, KEY_NAME, KEY_SECRET, ZONE } from './xfr-fixtures.js';

/** NOTIFY (RFC 1996): sent on each serial, retried until answered, a newer serial replacing an older one, TSIG-signed per target. */
const keys = parseTsigKeys(`${KEY_NAME}:${KEY_SECRET.toString('base64')}`);

interface Seen { serial: number; id: number; signed: boolean; opcode: number }

async function secondary(answerFrom: number): Promise<{ port: number; seen: Seen[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const seen: Seen[] = [];
  s.on('message', (m, r) => {
    const req = parseXfrRequest(m);
    // The NOTIFY carries the new SOA in its answer section: the serial is 20 bytes from the end of that record.
    const soaEnd = req.tsigStart ?? m.length;
    seen.push({ serial: m.readUInt32BE(soaEnd - 20), id: req.id, signed: req.tsigStart !== undefined, opcode: req.opcode });
    if (req.tsigStart !== undefined) expect(verifyRequest(m, req.tsigStart, keys, Math.floor(Date.now() / 1000), new ReplayGuard()).ok).toBe(true);
    if (seen.length < answerFrom) return;
    const a = Buffer.from(m.subarray(0, 12 + req.question.length));
    a.writeUInt16BE(0x8000 | (4 << 11) | 0x0400, 2);
    a.writeUInt16BE(1, 4); a.writeUInt32BE(0, 6); a.writeUInt16BE(0, 10);
    s.send(a, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, seen, close: () => s.close() };
}

describe('NOTIFY to secondaries', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => { for (const c of cleanup.splice(0)) c(); });

  function sender(targets: { host: string; port: number; key?: ReturnType<typeof keys.get> }[], firstTimeoutMs = 50, attempts = 4, slowIntervalMs = 60_000) {
    const registry = new Registry();
    const zone = new RpzZone(ZONE, new FakeRules(), { maxSteps: 10, maxRecords: 10 });
    const metrics = new XfrMetrics(registry, zone, () => Date.now());
    const n = new NotifySender(ZONE, targets, { attempts, firstTimeoutMs, slowIntervalMs }, metrics, pino({ level: 'silent' }), '127.0.0.1');
    cleanup.push(() => { n.close(); zone.close(); });
    return { n, registry };
  }

  it('retries a silent secondary with the same ID until it answers, then stops', async () => {
    const sec = await secondary(3);
    cleanup.push(sec.close);
    const { n, registry } = sender([{ host: '127.0.0.1', port: sec.port }]);
    n.notify(41);
    await expect.poll(() => sec.seen.length, { timeout: 3000 }).toBe(3);
    await new Promise((r) => setTimeout(r, 400));
    expect(sec.seen.length).toBe(3);
    expect(new Set(sec.seen.map((s) => s.id)).size).toBe(1);
    expect(sec.seen.every((s) => s.serial === 41 && s.opcode === 4 && !s.signed)).toBe(true);
    const m = await registry.metrics();
    expect(m).toMatch(/rpz_notify_total\{result="retry"\} 2/);
    expect(m).toMatch(/rpz_notify_total\{result="acked"\} 1/);
  });

  it('after its attempts, says so once and goes on at a slow pace; a newer serial replaces a pending one', async () => {
    const sec = await secondary(Infinity);
    cleanup.push(sec.close);
    const { n, registry } = sender([{ host: '127.0.0.1', port: sec.port }], 30, 3, 60_000);
    n.notify(7);
    n.notify(8);
    await expect.poll(async () => registry.metrics(), { timeout: 3000 }).toMatch(/rpz_notify_total\{result="unanswered"\} 1/);
    expect(sec.seen[0]!.serial).toBe(7);
    expect(sec.seen.slice(1).every((s) => s.serial === 8)).toBe(true);
    // 3 with backoff, then the first slow one at once; the next waits the slow interval.
    await expect.poll(() => sec.seen.filter((s) => s.serial === 8).length, { timeout: 2000 }).toBe(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(sec.seen.filter((s) => s.serial === 8).length).toBe(4);
  });

  it('a secondary silent through the backoff hears of the serial once it is back, then no more', async () => {
    const sec = await secondary(4); // silent for the 2 quick attempts and the first slow one
    cleanup.push(sec.close);
    const { n, registry } = sender([{ host: '127.0.0.1', port: sec.port }], 20, 2, 150);
    n.notify(12);
    await expect.poll(async () => registry.metrics(), { timeout: 3000 }).toMatch(/rpz_notify_total\{result="acked"\} 1/);
    const m = await registry.metrics();
    expect(m).toMatch(/rpz_notify_total\{result="unanswered"\} 1/);
    expect(sec.seen.length).toBe(4);
    await new Promise((r) => setTimeout(r, 400));
    expect(sec.seen.length).toBe(4);
  });

  it('signs the NOTIFY with the target\'s TSIG key (RFC 8945 §5.1) when one is named', async () => {
    const sec = await secondary(1);
    cleanup.push(sec.close);
    const { n } = sender([{ host: '127.0.0.1', port: sec.port, key: keys.get(`${KEY_NAME}.`) }]);
    n.notify(99);
    await expect.poll(() => sec.seen.length, { timeout: 3000 }).toBe(1);
    expect(sec.seen[0]).toMatchObject({ serial: 99, signed: true, opcode: 4 });
  });
});

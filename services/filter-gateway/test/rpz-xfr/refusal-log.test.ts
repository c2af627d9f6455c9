import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RefusalLogLimiter } from '../../src/rpz-xfr/refusal-log.js';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import { ReplayGuard } from '../../src/rpz-xfr/tsig.js';
import { parseTsigKeys } from '../../src/rpz-xfr/tsig-keys.js';
import { XfrAccessList } from '../../src/rpz-xfr/xfr-access.js';
import { XfrMetrics } from '../../src/rpz-xfr/xfr-metrics.js';
import { DEFAULT_XFR_LIMITS, XfrServer } from '../../src/rpz-xfr/xfr-server.js';
import { nameToWire } from '../../src/rpz-xfr/wire-names.js';
import { FakeRules, KEY_NAME, KEY_SECRET, ZONE, manyRules, xfrQuery } from './xfr-fixtures.js';

describe('RefusalLogLimiter', () => {
  it('logs the first refusal of a kind, then once a window with the count left out', () => {
    let t = 0;
    const l = new RefusalLogLimiter(1000, 100, 100, () => t);
    expect(l.admit('a')).toEqual({ log: true, suppressed: 0, droppedOverall: 0 });
    for (let i = 0; i < 5; i++) expect(l.admit('a').log).toBe(false);
    expect(l.admit('b').log).toBe(true);
    t = 1000;
    expect(l.admit('a')).toEqual({ log: true, suppressed: 5, droppedOverall: 0 });
  });

  it('caps the lines of all peers together, and says how many it dropped', () => {
    let t = 0;
    const l = new RefusalLogLimiter(1000, 3, 100, () => t);
    const logged = Array.from({ length: 10 }, (_, i) => l.admit(`peer${i}`).log).filter(Boolean).length;
    expect(logged).toBe(3);
    t = 1000;
    expect(l.admit('peer-new')).toEqual({ log: true, suppressed: 0, droppedOverall: 7 });
  });
});

describe('refused queries over UDP', () => {
  it('write a bounded number of warn lines, while the metric counts each', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    const rules = new FakeRules();
    rules.load(manyRules(3), 3);
    const registry = new Registry();
    const zone = new RpzZone(ZONE, rules, { maxSteps: 100, maxRecords: 10_000 });
    const metrics = new XfrMetrics(registry, zone, () => Date.now());
    const server = new XfrServer({
      zone, origin: ZONE, originWireLength: nameToWire(ZONE).length,
      keys: parseTsigKeys(`${KEY_NAME}:${KEY_SECRET.toString('base64')}`), access: new XfrAccessList('::1/128'),
      replay: new ReplayGuard(), metrics, log, refusalLog: new RefusalLogLimiter(),
    }, log, { ...DEFAULT_XFR_LIMITS, maxConnections: 1 });
    const port = await server.listen('127.0.0.1', 0);
    try {
      const u = dgram.createSocket('udp4');
      let answers = 0;
      u.on('message', () => { answers++; });
      for (let i = 0; i < 200; i++) {
        u.send(xfrQuery(6, { id: i }), port, '127.0.0.1');
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
      }
      const deadline = Date.now() + 3000;
      while (answers < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      u.close();
      const refused = (await registry.getSingleMetricAsString('rpz_xfr_refused_total'));
      expect(refused).toMatch(/reason="acl"} (\d+)/);
      expect(Number(/reason="acl"} (\d+)/.exec(refused)![1])).toBe(answers);
      expect(answers).toBeGreaterThan(50);
      expect(lines.filter((l) => l.includes('not in RPZ_XFR_ALLOW'))).toHaveLength(1);

      // Past the total connection cap, Node drops the connection silently: now it is counted and logged.
      const a = net.connect(port, '127.0.0.1');
      await new Promise((r) => a.once('connect', r));
      const b = net.connect(port, '127.0.0.1');
      b.on('error', () => undefined);
      await new Promise((r) => b.once('close', r));
      a.destroy();
      expect(await registry.getSingleMetricAsString('rpz_xfr_refused_total')).toMatch(/reason="total_cap"} 1/);
      expect(lines.some((l) => l.includes('connection limit reached'))).toBe(true);
    } finally {
      await server.close();
      zone.close();
    }
  });
});

/**
 * What IP/CIDR rules cost the DNS path, in one process (issue 13): the gateway's own matcher,
 * pipeline modules and response policy, no sockets on the measured path.
 *
 *   npx tsx bench/dns/ip-policy-bench.ts [--rules 100k|1m] [--seconds 3] [--ip-share 0.1]
 *
 * 1. Lookups per second: matchWireName on the query names of the 90/10 mix, and matchIp on
 *    IPv4 and IPv6 addresses (9 in 10 outside every rule, 1 in 10 inside one), on the same
 *    matcher holding names plus IP/CIDR rules.
 * 2. Answers per second through the whole pipeline (parse, match, response policy, cache) for
 *    the 90/10 mix once the allowed names are cached: with name rules only, and with the same
 *    names plus IP/CIDR rules; alternating rounds, best of each, per CPU-second.
 * 3. The response-policy walk alone (restrictedInAnswer over an answer with one A record), the
 *    price a cached answer pays once after each rule change.
 * The allowed answers come from a loopback dgram responder in this process during warm-up only.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { NO_MATCH, parseIpText, type Matcher } from '@tizilim/shared';
import { AnswerCache } from '@tizilim/filter-gateway/dns/cache/answer-cache';
import { BlockResponder } from '@tizilim/filter-gateway/dns/pipeline/block-responder';
import { buildPipeline, type Pipeline } from '@tizilim/filter-gateway/dns/pipeline/build-pipeline';
import { Query } from '@tizilim/filter-gateway/dns/pipeline/types';
import { restrictedInAnswer } from '@tizilim/filter-gateway/dns/policy/restricted-in-answer';
import { RuleSet } from '@tizilim/filter-gateway/dns/rules/rule-set';
import { parseUpstream } from '@tizilim/filter-gateway/dns/upstream/upstream-address';
import { UpstreamPool } from '@tizilim/filter-gateway/dns/upstream/upstream-pool';
import { CLASSIC_UDP_SIZE } from '@tizilim/filter-gateway/dns/wire/constants';
import { encodeName } from '@tizilim/filter-gateway/dns/wire/synthetic-records';
import { DnsMetrics } from '@tizilim/filter-gateway/observability/dns-metrics';
import { CoarseClock } from '@tizilim/filter-gateway/util/clock';
import { Deadlines } from '@tizilim/filter-gateway/util/deadlines';
import { addIpRules, buildRuleSet, loadDatasets, prng } from './lib/datasets.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const SIZE = arg('rules', '100k') as '100k' | '1m';
const SECONDS = Number(arg('seconds', '3'));
const SHARE = Number(arg('ip-share', '0.1'));

function query(name: string, id: number): Buffer {
  const q = encodeName(name);
  const b = Buffer.alloc(12 + q.length + 4);
  b.writeUInt16BE(id, 0); b.writeUInt16BE(0x0100, 2); b.writeUInt16BE(1, 4);
  q.copy(b, 12); b.writeUInt16BE(1, 12 + q.length); b.writeUInt16BE(1, 14 + q.length);
  return b;
}

/** One A record 192.0.2.1 TTL 3600 for any question: the bench's upstream. */
async function responder(): Promise<{ port: number; close(): void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    const h = Buffer.from(m);
    h[2] = 0x81; h[3] = 0x80; h.writeUInt16BE(1, 6); h.writeUInt16BE(0, 8); h.writeUInt16BE(0, 10);
    s.send([h, Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1])], r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, close: () => s.close() };
}

/** Best of 3 rounds of `fn` over `n` items, per wall second and per CPU second. */
function rate(n: number, fn: () => void): { wall: number; cpu: number } {
  fn();
  let wall = 0; let cpu = 0;
  for (let r = 0; r < 3; r++) {
    let done = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
    while (performance.now() - t0 < (SECONDS * 1000) / 3) { fn(); done += n; }
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, done / ((performance.now() - t0) / 1000));
    cpu = Math.max(cpu, done / ((c.user + c.system) / 1e6));
  }
  return { wall, cpu };
}

async function pipelineFor(rules: RuleSet, upstreamPort: number): Promise<{ pipeline: Pipeline; close(): void }> {
  const clock = new CoarseClock(); clock.start();
  const deadlines = new Deadlines(clock);
  const metrics = new DnsMetrics(new Registry(), () => 0);
  const pool = new UpstreamPool({ upstreams: [parseUpstream(`127.0.0.1:${upstreamPort}`)], attemptTimeoutMs: 1000, totalTimeoutMs: 3000 }, clock, deadlines);
  const pipeline = buildPipeline({
    rules, responder: new BlockResponder({ mode: 'nxdomain', publicBaseUrl: 'https://register.example.kz' }),
    cache: new AnswerCache(200_000), pool, clock, metrics,
  });
  return { pipeline, close: () => { deadlines.close(); clock.stop(); } };
}

async function main(): Promise<void> {
  void pino;
  const d = loadDatasets();
  const spec = buildRuleSet(d, SIZE);
  const nameRules = [...spec.rules];
  const ipCount = addIpRules(spec, SHARE);
  const withIp = spec.rules;
  const rnd = prng(42);
  const special = /\.(onion|test|invalid|localhost|local|arpa|example|internal|lan|home)$/;
  const namesOnly = new RuleSet(); namesOnly.replace(nameRules, 1);
  const both = new RuleSet(); both.replace(withIp, 1);
  const m: Matcher = both.matcher;
  const allowed = d.popular.filter((n) => !special.test(n) && m.matchHost(n) === NO_MATCH).slice(0, 20_000);
  const blocked = spec.exact.slice(0, 5_000);
  const mix: Buffer[] = [];
  for (let i = 0; i < 50_000; i++) mix.push(query(i % 10 === 9 ? blocked[i % blocked.length]! : allowed[i % allowed.length]!, i & 0xffff));
  console.log(`ip-policy bench ${new Date().toISOString()}  node ${process.version}  ${SIZE}: ${nameRules.length.toLocaleString('en')} name rules + ${ipCount.toLocaleString('en')} ip/cidr rules`);

  // 1. lookups
  const ipRules = withIp.filter((r) => r.kind === 'ip' || r.kind === 'cidr');
  const addrs = (v6: boolean): Uint8Array[] => {
    const out: Uint8Array[] = [];
    const inside = ipRules.filter((r) => r.value.includes(':') === v6);
    for (let i = 0; i < 10_000; i++) {
      if (i % 10 === 9) { const b = parseIpText(inside[i % inside.length]!.value.split('/')[0]!)!; out.push(b); continue; }
      const b = new Uint8Array(v6 ? 16 : 4);
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rnd() * 256);
      if (!v6) b[0] = 10; // 10/8: private, outside every generated rule
      else { b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8; } // 2001:db8::/32: likewise
      out.push(b);
    }
    return out;
  };
  const v4 = addrs(false); const v6 = addrs(true);
  let sink = 0;
  const names = rate(mix.length, () => { for (let i = 0; i < mix.length; i++) sink += m.matchWireName(mix[i]!, 12); });
  const ip4 = rate(v4.length, () => { for (let i = 0; i < v4.length; i++) sink += m.matchIp(v4[i]!); });
  const ip6 = rate(v6.length, () => { for (let i = 0; i < v6.length; i++) sink += m.matchIp(v6[i]!); });

  // 2. pipeline, cached 90/10 mix
  const up = await responder();
  const a = await pipelineFor(namesOnly, up.port);
  const b = await pipelineFor(both, up.port);
  for (const p of [a, b]) for (const n of allowed) await p.pipeline(new Query(query(n, 1), 'udp', CLASSIC_UDP_SIZE, 0));
  const run = (p: Pipeline) => (): void => {
    for (let i = 0; i < mix.length; i++) {
      const src = mix[i]!;
      const buf = Buffer.allocUnsafe(src.length); src.copy(buf);
      const r = p(new Query(buf, 'udp', CLASSIC_UDP_SIZE, 0));
      if (r instanceof Promise) throw new Error('a cached mix went upstream');
      sink += r.chunks ? 1 : 0;
    }
  };
  const best = { a: { wall: 0, cpu: 0 }, b: { wall: 0, cpu: 0 } };
  for (let round = 0; round < 3; round++) {
    for (const [k, p] of [['a', a], ['b', b]] as const) {
      const r = rate(mix.length, run(p.pipeline));
      best[k] = { wall: Math.max(best[k].wall, r.wall), cpu: Math.max(best[k].cpu, r.cpu) };
    }
  }

  // 3. the walk alone
  const answer = Buffer.concat([query('www.example.kz', 1), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1])]);
  answer[2] = 0x81; answer.writeUInt16BE(1, 6);
  const walk = rate(10_000, () => { for (let i = 0; i < 10_000; i++) sink += restrictedInAnswer(answer, m, 0); });
  a.close(); b.close(); up.close();
  if (sink === 42) console.log('');

  const f = (n: number): string => Math.round(n).toLocaleString('en');
  console.log('\n| measure | per second | per CPU-second |\n|---|---:|---:|');
  console.log(`| matchWireName, 90/10 mix names | ${f(names.wall)} | ${f(names.cpu)} |`);
  console.log(`| matchIp IPv4 (1 in 10 inside a rule) | ${f(ip4.wall)} | ${f(ip4.cpu)} |`);
  console.log(`| matchIp IPv6 (1 in 10 inside a rule) | ${f(ip6.wall)} | ${f(ip6.cpu)} |`);
  console.log(`| pipeline, cached 90/10 mix, name rules only | ${f(best.a.wall)} | ${f(best.a.cpu)} |`);
  console.log(`| pipeline, cached 90/10 mix, + ${Math.round(SHARE * 100)} % ip/cidr rules | ${f(best.b.wall)} | ${f(best.b.cpu)} |`);
  console.log(`| response-policy walk, one A record (after a rule change) | ${f(walk.wall)} | ${f(walk.cpu)} |`);
  console.log(`\nwith / without IP rules, pipeline per CPU-second: ${(best.b.cpu / best.a.cpu).toFixed(3)}`);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });

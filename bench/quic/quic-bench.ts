/**
 * QUIC Initials parsed and decided per second, on one core (issue 14: at least 20k/s). Each
 * flow gets a fresh reader, so every flow pays the full Initial-key derivation (HMAC × 5), the
 * header-protection mask, AES-128-GCM, CRYPTO reassembly, the ClientHello parse and the match
 * against ~226k real blocklist rules, exactly the calls the checker makes per flow.
 *
 * Run: `npm run bench -- quic` (QUIC_BENCH_SECONDS per case, default 5).
 *
 * Cases:
 *   corpus      every readable datagram of quic-initials.tsv, flow by flow, as recorded
 *   fresh-dcid  v1 Initials with a new DCID each (no two flows share keys), one 1350-byte
 *               datagram per hello, names from the blocklist and from Tranco, half blocked
 *   pq-2-packet a 1.9 KB post-quantum-sized hello split over two Initials, the second to the
 *               server's CID: two datagrams per flow, counted as two Initials
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildMatcher, type FeedRule } from '@tizilim/shared';
import { InitialReader } from '@tizilim/filter-gateway/quic/initial-reader';
import { decideFlow } from '@tizilim/filter-gateway/quic/flow-decision';
import { QUIC_V1 } from '@tizilim/filter-gateway/quic/quic-versions';
import { cryptoFrame, encodeInitial, helloOverInitials, withServerName } from '@tizilim/filter-gateway/testing/quic-initial-encoder';

const SECONDS = Number(process.env['QUIC_BENCH_SECONDS'] ?? 5);
const DATASETS = new URL('../../../shared/datasets/', import.meta.url);
const text = (f: string): string => readFileSync(new URL(f, DATASETS), 'utf8');

function loadRules(): { rules: FeedRule[]; blocked: string[]; allowed: string[] } {
  const rules: FeedRule[] = [];
  const blocked: string[] = [];
  let entry = 1;
  for (const line of text('blocklist-stevenblack-hosts.txt').split('\n')) {
    const n = line.trim();
    if (!n || n.startsWith('#')) continue;
    rules.push({ id: `h${entry}`, kind: 'domain', value: n, mode: 'restrict', entry: entry++ });
    if (blocked.length < 1000) blocked.push(n);
  }
  for (const line of text('blocklist-stevenblack-suffixes.txt').split('\n')) {
    const n = line.trim().replace(/^\*\./, '');
    if (!n || n.startsWith('#')) continue;
    rules.push({ id: `s${entry}`, kind: 'domain_suffix', value: n, mode: 'restrict', entry: entry++ });
  }
  const allowed = text('popular-tranco-top100k.csv').split('\n').slice(1, 1001).map((l) => 'www.' + l.split(',')[1]!.trim()).filter((n) => n.length > 4);
  return { rules, blocked, allowed };
}

function recordedHello(sni: string): Buffer {
  for (const l of text('tls-clienthellos.tsv').split('\n')) {
    const c = l.split('\t');
    if (c[8] !== sni || c[7] !== '1') continue;
    const rec = Buffer.from(c.at(-1)!, 'hex');
    return rec.subarray(5, 5 + rec.readUInt16BE(3));
  }
  throw new Error(`no hello for ${sni}`);
}

function corpusFlows(): Buffer[][] {
  const flows = new Map<string, { i: number; d: Buffer }[]>();
  for (const l of text('quic-initials.tsv').split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const c = l.split('\t');
    // Only what the checker reads to the end: reserved versions and gQUIC stop at 5 bytes.
    if (c[5] === '-' || c[7]!.startsWith('gQUIC')) continue;
    const list = flows.get(c[1]!) ?? [];
    list.push({ i: Number(c[2]), d: Buffer.from(c[8]!, 'hex') });
    flows.set(c[1]!, list);
  }
  return [...flows.values()].map((l) => l.sort((a, b) => a.i - b.i).map((x) => x.d));
}

/**
 * Rates per second of this process's CPU time (user + system), which is what "per core" means
 * on a machine shared with other work: wall-clock rates are printed too, and are lower by the
 * share of the core the scheduler gave us.
 */
function measure(name: string, flows: readonly Buffer[][], run: (flow: readonly Buffer[]) => void): void {
  const end = performance.now() + SECONDS * 1000;
  let initials = 0;
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let k = 0; k < 200; k++) {
      const f = flows[n++ % flows.length]!;
      run(f);
      initials += f.length;
    }
  }
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const fmt = (v: number): string => Math.round(v).toLocaleString('en').padStart(9);
  console.log(`${name.padEnd(12)} ${fmt(initials / cpu)} Initials per CPU-second  ${fmt(n / cpu)} flows per CPU-second  (wall: ${fmt(initials / s)} Initials/s; ${SECONDS}s)`);
}

async function main(): Promise<void> {
  const { rules, blocked, allowed } = loadRules();
  const t0 = performance.now();
  const matcher = buildMatcher(rules);
  console.log(`matcher: ${rules.length.toLocaleString('en')} rules built in ${Math.round(performance.now() - t0)} ms`);
  const base = recordedHello('s1.nordcdn.com');
  const pq = recordedHello('it-mil-v086.prod.surfshark.com');
  const names = blocked.flatMap((b, i) => [b, allowed[i % allowed.length]!]);
  const fresh: Buffer[][] = names.slice(0, 2000).map((name, i) => [encodeInitial({
    version: QUIC_V1, keyDcid: randomBytes(8), pn: 0, frames: cryptoFrame(0, withServerName(base, name)), padTo: 1350 + (i & 0),
  })]);
  const pqFlows: Buffer[][] = names.slice(0, 1000).map((name) => helloOverInitials(withServerName(pq, name), QUIC_V1, randomBytes(8), 1100, randomBytes(8)));
  const corpus = corpusFlows();
  let blockedCount = 0;
  let decided = 0;
  const readAndDecide = (flow: readonly Buffer[]): void => {
    const r = new InitialReader();
    for (const d of flow) r.push(d);
    if (r.status !== 'done') return;
    decided++;
    if (decideFlow(r.info!, matcher, Date.now()).kind === 'blocked') blockedCount++;
  };
  console.log(`fresh-dcid hello: ${fresh[0]![0]!.length} bytes; pq hello ${pq.length} bytes over 2 Initials`);
  measure('corpus', corpus, readAndDecide);
  measure('fresh-dcid', fresh, readAndDecide);
  console.log(`  decided ${decided.toLocaleString('en')}, blocked ${blockedCount.toLocaleString('en')}`);
  measure('pq-2-packet', pqFlows, readAndDecide);
}

await main();

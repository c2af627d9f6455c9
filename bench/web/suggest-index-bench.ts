/**
 * What the type-ahead index costs the check copy, alone: build time (add + seal), heap, and
 * prefix lookups per second, for N names shaped like the 1M seed's (plus 2 % IDN with a
 * Unicode form, 5 % URLs). Run with --expose-gc for a clean heap figure:
 *
 *   node --expose-gc --import tsx bench/web/suggest-index-bench.ts [--rules=1000000] [--seconds=3]
 */
import { seededRandom } from '@tizilim/shared/seeded-random';
import { SuggestIndex } from '../../services/register-api/src/domain/suggest-index.js';
import { suggestPrefix } from '../../services/register-api/src/domain/suggest-prefix.js';

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
const RULES = Number(args.get('rules') ?? 1_000_000);
const SECONDS = Number(args.get('seconds') ?? 3);
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => { gc?.(); gc?.(); return process.memoryUsage().heapUsed; };

const random = seededRandom(20261205);
const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
const word = (n: number) => Array.from({ length: n }, () => letters[Math.floor(random() * letters.length)]).join('');
const names: { value: string; display: string; kind: 'domain' | 'url' }[] = [];
for (let i = 0; i < RULES; i++) {
  const host = `${word(6 + Math.floor(random() * 8))}.${random() < 0.5 ? 'kz' : `${word(5)}.kz`}`;
  const r = random();
  if (r < 0.02) names.push({ value: `xn--${word(8)}.kz`, display: `пример${i}.kz`, kind: 'domain' });
  else if (r < 0.07) names.push({ value: `https://${host}/${word(10)}`, display: `https://${host}/${word(10)}`, kind: 'url' });
  else names.push({ value: host, display: host, kind: 'domain' });
}

const before = heap();
const t0 = performance.now();
const index = new SuggestIndex();
names.forEach((n, i) => index.add({ seq: i + 1, kind: n.kind, value: n.value, display: n.display, category: 'gambling', mode: 'restrict' }));
index.seal();
const buildMs = performance.now() - t0;
const after = heap();
// The names themselves are in the heap before and after: the delta is what the index adds
// over strings the copy already streamed (it keeps references to them, not copies).
console.log(`${RULES.toLocaleString('en-US')} rules: ${index.size.toLocaleString('en-US')} keys; build (add + seal) ${Math.round(buildMs)} ms; heap +${((after - before) / 2 ** 20).toFixed(1)} MiB`);

const prefixes = Array.from({ length: 10_000 }, (_, i) => suggestPrefix(names[Math.floor(random() * names.length)]!.value).slice(0, 2 + (i % 7)));
let n = 0;
let found = 0;
const end = performance.now() + SECONDS * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 1000; i++) found += index.find(prefixes[(n + i) % prefixes.length]!, 8, 64, () => true);
  n += 1000;
}
console.log(`find (8 suggestions, ≤ 64 keys scanned): ${Math.round(n / SECONDS).toLocaleString('en-US')} lookups/s, ${(found / n).toFixed(1)} suggestions on average`);

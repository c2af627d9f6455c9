/**
 * Memory and load time of the register's in-process copy of the active rules (what public
 * checks are answered from), against an already seeded database:
 *
 *   node --expose-gc --import tsx bench/register/check-copy-heap.ts --database-url=postgres://…/tizilim_bench_<pid>
 *
 * Prints V8 heap used and array buffers (typed arrays live outside the heap) after a full GC,
 * before and after the copy is loaded, and how long the load took. Read-only on the database.
 */
import { loadavg } from 'node:os';
import { openDatabase } from '@tizilim/register-api/db/database';
import { LogWatcher } from '@tizilim/register-api/domain/log-watcher';
import { ActiveRules } from '@tizilim/register-api/domain/active-rules';

const url = process.argv.slice(2).find((a) => a.startsWith('--database-url='))?.split('=').slice(1).join('=');
if (!url) throw new Error('--database-url=postgres://… is required');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const MiB = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
function settledMemory() {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers, rss: m.rss };
}

const database = await openDatabase({ url, poolSize: 2 });
const watcher = new LogWatcher(database.db, undefined, 60_000);
await watcher.start();
const before = settledMemory();
const rules = new ActiveRules(database.db, watcher, { info: (o: object, m: string) => console.log(m, JSON.stringify(o)), warn: (o: object, m: string) => console.log(m, o) } as never);
const t0 = performance.now();
rules.start();
await rules.settled();
const ms = performance.now() - t0;
if (!rules.ready) throw new Error('the copy did not become ready');
const after = settledMemory();
console.log(`check copy: version ${rules.version}, loaded in ${(ms / 1000).toFixed(2)} s, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`heap used ${MiB(before.heap)} → ${MiB(after.heap)} (+${MiB(after.heap - before.heap)}); array buffers ${MiB(before.buffers)} → ${MiB(after.buffers)} (+${MiB(after.buffers - before.buffers)}); RSS ${MiB(before.rss)} → ${MiB(after.rss)}`);
console.log(`copy: ${JSON.stringify(rules.stats ?? null)}`);
await rules.close();
await watcher.stop();
await database.close();

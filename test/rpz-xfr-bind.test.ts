import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/child-service.js';
import { NAMED, startBind, type Secondary } from './support/rpz-secondaries.js';
import { GOOD_KEY, RpzSubscription, WRONG_KEY, digStatus, transfersDone, waitForRcode } from './support/rpz-subscription.js';
import { testRegisterHandle } from './support/rpz-test-register.js';

/**
 * BIND 9.18 (Debian's package) as a secondary of the gateway's RPZ primary, with TSIG:
 * it takes the zone by AXFR, follows approvals and restorations by NOTIFY + IXFR, and a
 * BIND holding the wrong key is refused (and the refusal logged by the gateway).
 */
describe.runIf(NAMED)('BIND 9.18 subscribes to the gateway by zone transfer', () => {
  const sub = new RpzSubscription();
  let bind: Secondary;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    await sub.start({ register: await testRegisterHandle(), notifyPorts: [port], signNotify: true, initial: ['initial.bind.example.kz', '*.suffix.bind.example.kz'] });
    bind = sub.add(startBind(sub.secondaryOptions(port, GOOD_KEY)));
    await waitForRcode(port, 'initial.bind.example.kz', 3, 30_000).catch((err: Error) => { throw new Error(`${err.message}\n${bind.output()}\n${sub.gateway.output()}`); });
  }, 60_000);
  afterAll(() => sub.close(), 30_000);

  it('took the zone by AXFR: names and suffixes answer NXDOMAIN, others resolve', async () => {
    expect(await digStatus(port, 'initial.bind.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'deep.suffix.bind.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'fine.bind.example.kz')).toBe('NOERROR');
    expect(bind.output()).toMatch(/transfer of 'rpz\.tizilim\/IN' from 127\.0\.0\.1#\d+: Transfer completed/);
    expect(sub.gateway.output()).toMatch(/"kind":"axfr"[^\n]*"signed":true[^\n]*RPZ zone transferred|RPZ zone transferred[^\n]*/);
  });

  it('an approval reaches BIND by NOTIFY + IXFR, and a restoration is undone the same way', async () => {
    expect(await digStatus(port, 'approved.bind.example.kz')).toBe('NOERROR');
    await sub.decide('restrict', ['approved.bind.example.kz']);
    const ms = await waitForRcode(port, 'approved.bind.example.kz', 3, 10_000);
    expect(ms).toBeLessThan(10_000);
    expect(await digStatus(port, 'approved.bind.example.kz')).toBe('NXDOMAIN');
    expect(bind.output()).toMatch(/notify from 127\.0\.0\.1#\d+: serial \d+/);
    expect(await sub.metrics()).toMatch(/rpz_xfr_transfers_total\{kind="ixfr",result="ok"\} [1-9]/);

    await sub.decide('restore', ['approved.bind.example.kz']);
    await waitForRcode(port, 'approved.bind.example.kz', 0, 10_000);
    expect(await digStatus(port, 'approved.bind.example.kz')).toBe('NOERROR');
    expect(await digStatus(port, 'initial.bind.example.kz')).toBe('NXDOMAIN');
  });

  it('a suffix rule and then an exception under it arrive by NOTIFY + IXFR, never the whole zone: block, then passthru', async () => {
    const before = await sub.metrics();
    const whole = (m: string): number => transfersDone(m, 'axfr') + transfersDone(m, 'ixfr_full');
    await sub.decide('restrict', ['*.casino.bind.example.kz']);
    await waitForRcode(port, 'deep.casino.bind.example.kz', 3, 10_000);
    expect(await digStatus(port, 'www.casino.bind.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'casino.bind.example.kz')).toBe('NXDOMAIN');

    await sub.decide('restore', ['www.casino.bind.example.kz']);
    await waitForRcode(port, 'www.casino.bind.example.kz', 0, 10_000);
    // The exception opens that name only; its cover wildcard keeps the names below it blocked.
    expect(await digStatus(port, 'a.www.casino.bind.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'other.casino.bind.example.kz')).toBe('NXDOMAIN');
    const after = await sub.metrics();
    expect(transfersDone(after, 'ixfr') - transfersDone(before, 'ixfr')).toBeGreaterThanOrEqual(2);
    expect(whole(after)).toBe(whole(before));
  });

  it('a BIND with the wrong TSIG secret is refused, and the gateway logs it', async () => {
    const wrongPort = await freePort();
    const wrong = sub.add(startBind(sub.secondaryOptions(wrongPort, WRONG_KEY)));
    await expect.poll(() => sub.gateway.output(), { timeout: 15_000, interval: 100 })
      .toMatch(/"key":"tizilim-xfr\."[^\n]*"tsig":"badsig"[^\n]*TSIG did not verify/);
    expect(await sub.metrics()).toMatch(/rpz_xfr_refused_total\{reason="tsig_badsig"\} [1-9]/);
    // It never got the zone, so it does not block.
    expect(await digStatus(wrongPort, 'initial.bind.example.kz')).toBe('NOERROR');
    await wrong.stop();
  });
});

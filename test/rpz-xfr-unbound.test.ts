import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/child-service.js';
import { UNBOUND, startUnboundSecondary, type Secondary } from './support/rpz-secondaries.js';
import { RpzSubscription, digStatus, transfersDone, waitForRcode } from './support/rpz-subscription.js';
import { testRegisterHandle } from './support/rpz-test-register.js';

/**
 * Unbound 1.17 (Debian's package) as a secondary of the gateway's RPZ primary: an `rpz:`
 * clause with `primary:` and `allow-notify:`. Unbound 1.17 cannot sign transfers (no TSIG
 * in its auth-zone code), so it transfers unsigned from an address in RPZ_XFR_ALLOW; one
 * outside the list is refused and the gateway logs it.
 */
describe.runIf(UNBOUND)('Unbound 1.17 subscribes to the gateway by zone transfer', () => {
  const sub = new RpzSubscription();
  let unbound: Secondary;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    await sub.start({ register: await testRegisterHandle(), notifyPorts: [port], initial: ['initial.unbound.example.kz', '*.suffix.unbound.example.kz'] });
    unbound = sub.add(startUnboundSecondary(sub.secondaryOptions(port)));
    await waitForRcode(port, 'initial.unbound.example.kz', 3, 30_000).catch((err: Error) => { throw new Error(`${err.message}\n${unbound.output()}\n${sub.gateway.output()}`); });
  }, 60_000);
  afterAll(() => sub.close(), 30_000);

  it('took the zone by AXFR (after asking the SOA over UDP): names and suffixes answer NXDOMAIN', async () => {
    expect(await digStatus(port, 'initial.unbound.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'deep.suffix.unbound.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'fine.unbound.example.kz')).toBe('NOERROR');
    const m = await sub.metrics();
    expect(m).toMatch(/rpz_xfr_transfers_total\{kind="soa",result="ok"\} [1-9]/);
    expect(m).toMatch(/rpz_xfr_transfers_total\{kind="(axfr|ixfr_full)",result="ok"\} [1-9]/);
  });

  it('an approval reaches Unbound by NOTIFY + IXFR, and a restoration is undone the same way', async () => {
    expect(await digStatus(port, 'approved.unbound.example.kz')).toBe('NOERROR');
    await sub.decide('restrict', ['approved.unbound.example.kz']);
    await waitForRcode(port, 'approved.unbound.example.kz', 3, 10_000);
    expect(await digStatus(port, 'approved.unbound.example.kz')).toBe('NXDOMAIN');
    expect(await sub.metrics()).toMatch(/rpz_xfr_transfers_total\{kind="ixfr",result="ok"\} [1-9]/);
    expect(await sub.metrics()).toMatch(/rpz_notify_total\{result="acked"\} [1-9]/);

    await sub.decide('restore', ['approved.unbound.example.kz']);
    await waitForRcode(port, 'approved.unbound.example.kz', 0, 10_000);
    expect(await digStatus(port, 'approved.unbound.example.kz')).toBe('NOERROR');
    expect(await digStatus(port, 'initial.unbound.example.kz')).toBe('NXDOMAIN');
  });

  it('a suffix rule and then an exception under it arrive by NOTIFY + IXFR, never the whole zone: block, then passthru', async () => {
    const before = await sub.metrics();
    const whole = (m: string): number => transfersDone(m, 'axfr') + transfersDone(m, 'ixfr_full');
    await sub.decide('restrict', ['*.casino.unbound.example.kz']);
    await waitForRcode(port, 'deep.casino.unbound.example.kz', 3, 10_000);
    expect(await digStatus(port, 'www.casino.unbound.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'casino.unbound.example.kz')).toBe('NXDOMAIN');

    await sub.decide('restore', ['www.casino.unbound.example.kz']);
    await waitForRcode(port, 'www.casino.unbound.example.kz', 0, 10_000);
    // The exception opens that name only; its cover wildcard keeps the names below it blocked.
    expect(await digStatus(port, 'a.www.casino.unbound.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'other.casino.unbound.example.kz')).toBe('NXDOMAIN');
    const after = await sub.metrics();
    expect(transfersDone(after, 'ixfr') - transfersDone(before, 'ixfr')).toBeGreaterThanOrEqual(2);
    expect(whole(after)).toBe(whole(before));
  });
});

describe.runIf(UNBOUND)('Unbound outside RPZ_XFR_ALLOW (it cannot sign) is refused', () => {
  const sub = new RpzSubscription();
  afterAll(() => sub.close(), 30_000);

  it('gets no zone, and the gateway logs the unsigned refusal', async () => {
    const port = await freePort();
    await sub.start({ register: await testRegisterHandle(), notifyPorts: [port], xfrAllow: '::1/128', initial: ['initial.unbound.example.kz'] });
    const unbound = sub.add(startUnboundSecondary(sub.secondaryOptions(port)));
    await expect.poll(() => sub.gateway.output(), { timeout: 15_000, interval: 100 })
      .toMatch(/RPZ transfer refused: unsigned and not in RPZ_XFR_ALLOW/);
    expect(await sub.metrics()).toMatch(/rpz_xfr_refused_total\{reason="acl"\} [1-9]/);
    await waitForRcode(port, 'fine.unbound.example.kz', 0, 10_000);
    expect(await digStatus(port, 'initial.unbound.example.kz')).toBe('NOERROR');
    expect(unbound.output()).not.toMatch(/rpz: applied/);
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/child-service.js';
import { PDNS_RECURSOR, startPdns, type Secondary } from './support/rpz-secondaries.js';
import { GOOD_KEY, RpzSubscription, WRONG_KEY, digStatus, waitForRcode } from './support/rpz-subscription.js';
import { testRegisterHandle } from './support/rpz-test-register.js';

/**
 * PowerDNS Recursor 4.8 (Debian's package) as a secondary of the gateway's RPZ primary:
 * `rpzPrimary` with TSIG. It takes the zone by AXFR, follows approvals and restorations by
 * IXFR, and one holding the wrong key is refused (and the refusal logged by the gateway).
 * Recursor 4.8 answers NOTIFY but only wipes its cache on it (no RPZ refresh), so the shipped
 * configuration polls the serial every second; the NOTIFY is still sent and acknowledged.
 */
describe.runIf(PDNS_RECURSOR)('PowerDNS Recursor 4.8 subscribes to the gateway by zone transfer', () => {
  const sub = new RpzSubscription();
  let pdns: Secondary;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    await sub.start({ register: await testRegisterHandle(), notifyPorts: [port], signNotify: true, initial: ['initial.pdns.example.kz', '*.suffix.pdns.example.kz'] });
    pdns = sub.add(startPdns(sub.secondaryOptions(port, GOOD_KEY)));
    await waitForRcode(port, 'initial.pdns.example.kz', 3, 30_000).catch((err: Error) => { throw new Error(`${err.message}\n${pdns.output()}\n${sub.gateway.output()}`); });
  }, 60_000);
  afterAll(() => sub.close(), 30_000);

  it('took the zone by AXFR: names and suffixes answer NXDOMAIN, others resolve', async () => {
    expect(await digStatus(port, 'initial.pdns.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'deep.suffix.pdns.example.kz')).toBe('NXDOMAIN');
    expect(await digStatus(port, 'fine.pdns.example.kz')).toBe('NOERROR');
    expect(await sub.metrics()).toMatch(/rpz_xfr_transfers_total\{kind="axfr",result="ok"\} [1-9]/);
  });

  it('an approval reaches PowerDNS by IXFR within its 1 s poll, and a restoration is undone the same way', async () => {
    expect(await digStatus(port, 'approved.pdns.example.kz')).toBe('NOERROR');
    await sub.decide('restrict', ['approved.pdns.example.kz']);
    await waitForRcode(port, 'approved.pdns.example.kz', 3, 10_000).catch((err: Error) => { throw new Error(`${err.message}\n${pdns.output()}`); });
    expect(await digStatus(port, 'approved.pdns.example.kz')).toBe('NXDOMAIN');
    expect(await sub.metrics()).toMatch(/rpz_xfr_transfers_total\{kind="ixfr",result="ok"\} [1-9]/);
    expect(await sub.metrics()).toMatch(/rpz_notify_total\{result="acked"\} [1-9]/);

    await sub.decide('restore', ['approved.pdns.example.kz']);
    await waitForRcode(port, 'approved.pdns.example.kz', 0, 10_000);
    expect(await digStatus(port, 'approved.pdns.example.kz')).toBe('NOERROR');
    expect(await digStatus(port, 'initial.pdns.example.kz')).toBe('NXDOMAIN');
  });

  it('a PowerDNS with the wrong TSIG secret is refused, and the gateway logs it', async () => {
    const wrongPort = await freePort();
    const wrong = sub.add(startPdns(sub.secondaryOptions(wrongPort, WRONG_KEY)));
    await expect.poll(() => sub.gateway.output(), { timeout: 15_000, interval: 100 })
      .toMatch(/"key":"tizilim-xfr\."[^\n]*"tsig":"badsig"[^\n]*TSIG did not verify/);
    await waitForRcode(wrongPort, 'fine.pdns.example.kz', 0, 10_000);
    expect(await digStatus(wrongPort, 'initial.pdns.example.kz')).toBe('NOERROR');
    await wrong.stop();
  });
});

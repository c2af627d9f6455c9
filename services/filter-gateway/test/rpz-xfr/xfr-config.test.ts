import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { XfrAccessList } from '../../src/rpz-xfr/xfr-access.js';

/** RPZ_* variables (DESIGN "RPZ by zone transfer"): defaults, and errors that name the variable. */
const SECRET = Buffer.alloc(32, 7).toString('base64');

describe('RPZ primary configuration', () => {
  it('defaults: port 5354, zone rpz.tizilim., loopback may transfer unsigned, no keys, no NOTIFY', () => {
    const c = loadConfig({}).rpzXfr;
    expect(c.port).toBe(5354);
    expect(c.zone).toBe('rpz.tizilim.');
    expect(c.allow.allows('127.0.0.1')).toBe(true);
    expect(c.allow.allows('::1')).toBe(true);
    expect(c.allow.allows('::ffff:127.0.0.9')).toBe(true);
    expect(c.allow.allows('10.0.0.1')).toBe(false);
    expect(c.keys.size).toBe(0);
    expect(c.notify).toEqual([]);
  });

  it('reads keys, NOTIFY targets with and without a key, and off', () => {
    const c = loadConfig({
      RPZ_XFR_PORT: 'off', RPZ_ZONE: 'RPZ.Example.', RPZ_TSIG_KEYS: `isp-a:${SECRET}, isp-b.:${SECRET}`,
      RPZ_NOTIFY: '192.0.2.1:53@isp-a,[2001:db8::1]:5300,resolver.isp.kz:53', RPZ_XFR_ALLOW: '10.0.0.0/8,2001:db8::/32',
    }).rpzXfr;
    expect(c.port).toBeUndefined();
    expect(c.zone).toBe('rpz.example.');
    expect([...c.keys.keys()]).toEqual(['isp-a.', 'isp-b.']);
    expect(c.notify.map((t) => [t.host, t.port, t.key?.name])).toEqual([
      ['192.0.2.1', 53, 'isp-a.'], ['2001:db8::1', 5300, undefined], ['resolver.isp.kz', 53, undefined],
    ]);
    expect(c.allow.allows('10.1.2.3')).toBe(true);
    expect(c.allow.allows('2001:db8:1::5')).toBe(true);
    expect(c.allow.allows('127.0.0.1')).toBe(false);
    expect(new XfrAccessList('').allows('127.0.0.1')).toBe(false);
  });

  it.each([
    [{ RPZ_XFR_PORT: '70000' }, /RPZ_XFR_PORT/],
    [{ RPZ_ZONE: 'no-dot' }, /RPZ_ZONE/],
    [{ RPZ_TSIG_KEYS: 'k:not base64!' }, /RPZ_TSIG_KEYS.*base64/],
    [{ RPZ_TSIG_KEYS: `k:${Buffer.alloc(8).toString('base64')}` }, /RPZ_TSIG_KEYS.*16 bytes/],
    [{ RPZ_TSIG_KEYS: `k:${SECRET},k:${SECRET}` }, /RPZ_TSIG_KEYS.*twice/],
    [{ RPZ_XFR_ALLOW: '10.0.0.0/33' }, /RPZ_XFR_ALLOW/],
    [{ RPZ_XFR_ALLOW: 'example.kz' }, /RPZ_XFR_ALLOW/],
    [{ RPZ_NOTIFY: '192.0.2.1' }, /RPZ_NOTIFY/],
    [{ RPZ_NOTIFY: '192.0.2.1:53@nokey' }, /RPZ_NOTIFY.*nokey/],
  ])('%o is refused with an error naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

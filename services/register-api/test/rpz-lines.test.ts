import { describe, expect, it } from 'vitest';
import { rpzIpOwner } from '../src/routes/feed/rpz-lines.js';

describe('RPZ IP triggers', () => {
  it('writes prefixes reversed, IPv6 with zz for the longest zero run', () => {
    expect(rpzIpOwner('198.51.100.7')).toBe('32.7.100.51.198');
    expect(rpzIpOwner('203.0.113.0/24')).toBe('24.0.113.0.203');
    expect(rpzIpOwner('2001:db8::/32')).toBe('32.zz.db8.2001');
    expect(rpzIpOwner('2001:db8:0:0:1::7')).toBe('128.7.0.0.1.zz.db8.2001');
  });
});

import { describe, expect, it } from 'vitest';
import { parseResource } from '../src/resource/index.js';

function reasonFor(input: string): string {
  const result = parseResource(input);
  if (result.ok) throw new Error(`expected ${input} to be refused, got ${JSON.stringify(result.resource)}`);
  return result.reason;
}

describe('refusals', () => {
  it.each([
    // syntax
    ['', /empty/],
    ['   ', /empty/],
    ['bad..kz', /empty label/],
    ['.bad.kz', /empty label/],
    ['bad.kz..', /empty label/],
    ['bad kz.kz', /spaces/],
    ['ex%41.kz', /%/],
    ['bad!.kz', /characters other than/],
    ['xn--zz.kz', /not a valid host name/],
    [`${'a'.repeat(64)}.kz`, /label of 64 characters/],
    [`${'a.'.repeat(126)}kz`, /at most 253/],
    ['a*b.kz', /\*/],
    ['*.', /empty/],
    ['bad.kz:8080', /port/],
    ['bad.kz/page', /without a scheme/],
    ['cafe.de/menu', /without a scheme/],
    ['1.2.3', /IPv4/],
    ['foo.1', /end in a number/],
    // public suffixes and local names
    ['*.kz', /^`\*\.kz` is a public suffix: restricting it would block every name under it\.$/],
    ['*.com', /public suffix/],
    ['*.co.uk', /public suffix/],
    ['*.gov.kz', /public suffix/],
    ['*.қаз', /public suffix/],
    ['kz', /public suffix/],
    ['co.uk', /public suffix/],
    ['localhost', /local/],
    // RPZ keywords in the top label would be triggers in every resolver loading our RPZ
    ['0.0.0.0.127.rpz-client-ip', /Response Policy Zone keyword/],
    ['localhost.rpz-nsdname', /Response Policy Zone keyword/],
    ['8.0.0.0.127.rpz-nsip', /Response Policy Zone keyword/],
    ['32.9.100.51.198.RPZ-IP', /Response Policy Zone keyword/],
    ['*.x.rpz-nsdname', /Response Policy Zone keyword/],
    ['https://a.rpz-ip/page', /Response Policy Zone keyword/],
    ['LOCALHOST.', /local/],
    ['db.localhost', /local/],
    ['printer.local', /local/],
    ['api.internal', /local/],
    ['*.internal', /local/],
    ['1.0.0.10.in-addr.arpa', /infrastructure/],
    ['onlyonelabel', /single label/],
    // urls
    ['ftp://bad.kz/file', /http:\/\/ or https:\/\//],
    ['javascript://bad.kz', /http:\/\/ or https:\/\//],
    ['http://', /not a valid URL/],
    ['http://user:secret@bad.kz/', /user name or password/],
    ['http://localhost:8080/', /local/],
    ['http://kz/', /public suffix/],
    ['http://127.0.0.1/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://192.168.1.1/admin', /private/],
    ['http://010.1.1.1/', /unusual form/],
    ['http://0x08080808/', /write it as 8\.8\.8\.8/],
    ['http://134744072/', /unusual form/],
    ['http://bad_host!.kz/', /(valid host name|not a valid URL)/],
    [`http://bad.kz/${'a'.repeat(9000)}`, /longer than/],
    // ip
    ['010.1.1.1', /leading zeros/],
    ['256.1.1.1', /IPv4/],
    ['1.2.3.4.5', /IPv4/],
    ['fe80::1%eth0', /IPv6/],
    ['2001:db8::g', /IPv6/],
    ['0.0.0.0', /unspecified/],
    ['::', /unspecified/],
    ['127.0.0.1', /loopback/],
    ['::1', /loopback/],
    ['10.1.2.3', /10\.0\.0\.0\/8, a private range/],
    ['172.20.0.1', /172\.16\.0\.0\/12/],
    ['192.168.0.1', /192\.168\.0\.0\/16/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['169.254.1.1', /link-local/],
    ['fe80::1', /link-local/],
    ['fd00::1', /unique local/],
    ['224.0.0.1', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['::ffff:127.0.0.1', /loopback/],
    // cidr
    ['0.0.0.0/0', /black out/],
    ['::/0', /black out/],
    ['8.0.0.0/7', /wider than \/8/],
    ['2000::/18', /wider than \/19/],
    ['198.51.100.7/24', /^`198\.51\.100\.7\/24` has host bits set after \/24; the network is 198\.51\.100\.0\/24\.$/],
    ['2001:db8::1/32', /the network is 2001:db8::\/32/],
    ['198.51.100.0/33', /prefix length/],
    ['2001:db8::/129', /prefix length/],
    ['198.51.100.0/024', /prefix length/],
    ['198.51.100.0/', /prefix length/],
    ['10.0.0.0/8', /is in 10\.0\.0\.0\/8/],
    ['10.1.0.0/16', /is in 10\.0\.0\.0\/8/],
    ['8.0.0.0/6', /wider/],
    ['96.0.0.0/4', /wider/],
    ['11.0.0.0/7', /host bits/],
    ['100.0.0.0/8', /overlaps 100\.64\.0\.0\/10/],
    ['172.0.0.0/8', /overlaps 172\.16\.0\.0\/12/],
    ['fd00::/19', /is in fc00::\/7, unique local/],
    ['ff00::/19', /multicast/],
    ['::/19', /overlaps ::\/128/],
    ['::ffff:10.0.0.0/104', /10\.0\.0\.0\/8/],
    // IPv6 forms that reach a refused IPv4 range (issue #10): NAT64, local-use NAT64, 6to4, IPv4-compatible
    ['64:ff9b::a00:1', /is the NAT64 form of 10\.0\.0\.0\/8/],
    ['64:ff9b::192.168.1.1', /NAT64 form of 192\.168\.0\.0\/16/],
    ['64:ff9b::a00:0/104', /NAT64 form of 10\.0\.0\.0\/8/],
    ['64:ff9b::/96', /covers the NAT64 form/],
    ['64:ff9b:1::10.0.0.1', /local-use NAT64 form of 10\.0\.0\.0\/8/],
    ['64:ff9b:1:a00:1::', /local-use NAT64 form of 10\.0\.0\.0\/8/],
    ['64:ff9b:1:7f00::/64', /local-use NAT64 form of 127\.0\.0\.0\/8/],
    ['2002:a00:1::1', /6to4 form of 10\.0\.0\.0\/8/],
    ['2002:c0a8::/32', /6to4 form of 192\.168\.0\.0\/16/],
    ['2002:7f00:1::/48', /6to4 form of 127\.0\.0\.0\/8/],
    ['::10.0.0.1', /IPv4-compatible form of 10\.0\.0\.0\/8/],
    ['::a9fe:101', /IPv4-compatible form of 169\.254\.0\.0\/16/],
    // LDH: a label neither starts nor ends with a hyphen (issue #10)
    ['-x.example.kz', /starts or ends with a hyphen/],
    ['x-.example.kz', /starts or ends with a hyphen/],
    ['*.-x.example.kz', /starts or ends with a hyphen/],
    ['010.1.0.0/16', /valid IP address/],
  ])('%j is refused', (input, reason) => {
    expect(reasonFor(input)).toMatch(reason);
  });

  it('keeps reasons to one short line however long or odd the input', () => {
    const reason = reasonFor(`bad\u0000${'x'.repeat(5000)}.kz`);
    expect(reason.length).toBeLessThan(300);
    expect(reason).not.toMatch(/[\u0000-\u001f]/);
  });
});

import { BlockList, isIP } from 'node:net';

export class AccessListError extends Error {}

/**
 * `RPZ_XFR_ALLOW`: the addresses that may transfer the zone without TSIG (comma-separated
 * CIDRs or addresses). Everyone else must sign. IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`)
 * are checked as the IPv4 address they are.
 */
export class XfrAccessList {
  readonly #list = new BlockList();
  readonly entries: string[] = [];

  constructor(text: string) {
    for (const part of text.split(',')) {
      const item = part.trim();
      if (!item) continue;
      const [addr = '', len] = item.split('/');
      const family = isIP(addr);
      if (family === 0) throw new AccessListError(`"${item}" is not an address or CIDR`);
      const max = family === 4 ? 32 : 128;
      const prefix = len === undefined ? max : Number(len);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (len !== undefined && !/^\d+$/.test(len))) {
        throw new AccessListError(`"${item}" has a bad prefix length`);
      }
      this.#list.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
      this.entries.push(`${addr}/${prefix}`);
    }
  }

  allows(remote: string | undefined): boolean {
    if (!remote) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
    const addr = mapped ? mapped[1]! : remote;
    const family = isIP(addr);
    if (family === 0) return false;
    return this.#list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
  }
}

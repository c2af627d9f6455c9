import { XfrAccessList } from './xfr-access.js';
import type { NotifyTarget } from './notify-sender.js';
import { parseTsigKeys, type TsigKey } from './tsig-keys.js';

/** The zone-transfer primary's settings (DESIGN "RPZ by zone transfer"). */
export interface RpzXfrConfig {
  /** RPZ_XFR_PORT; undefined when `off`. */
  port: number | undefined;
  /** RPZ_ZONE: lower case, trailing dot; the resolvers' configuration names the same zone. */
  zone: string;
  keys: Map<string, TsigKey>;
  allow: XfrAccessList;
  notify: NotifyTarget[];
}

type Env = Record<string, string | undefined>;

/** Reads the RPZ_* variables; throws Error(message naming the variable) on bad input. */
export function loadRpzXfrConfig(env: Env): RpzXfrConfig {
  const portText = (env.RPZ_XFR_PORT ?? '5354').trim().toLowerCase();
  let port: number | undefined;
  if (portText !== 'off') {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`RPZ_XFR_PORT must be a port (0 to 65535) or off, not "${env.RPZ_XFR_PORT}"`);
  }
  const zoneText = (env.RPZ_ZONE ?? 'rpz.tizilim.').trim().toLowerCase();
  if (!/^([a-z0-9_-]{1,63}\.)+$/.test(zoneText) || zoneText.length > 254) {
    throw new Error(`RPZ_ZONE must be a zone name ending in a dot, e.g. rpz.tizilim., not "${env.RPZ_ZONE}"`);
  }
  let keys: Map<string, TsigKey>;
  try { keys = parseTsigKeys(env.RPZ_TSIG_KEYS); } catch (err) { throw new Error(`RPZ_TSIG_KEYS: ${(err as Error).message}`); }
  let allow: XfrAccessList;
  try { allow = new XfrAccessList(env.RPZ_XFR_ALLOW ?? '127.0.0.0/8,::1/128'); } catch (err) { throw new Error(`RPZ_XFR_ALLOW: ${(err as Error).message}`); }
  const notify: NotifyTarget[] = [];
  for (const part of (env.RPZ_NOTIFY ?? '').split(',')) {
    const item = part.trim();
    if (!item) continue;
    // host:port, [v6]:port, each optionally @keyname to sign the NOTIFY with that TSIG key.
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:@\s]+)):(\d{1,5})(?:@(.+))?$/.exec(item);
    const p = m ? Number(m[3]) : NaN;
    if (!m || !(p > 0 && p < 65536)) throw new Error(`RPZ_NOTIFY: "${item}" is not host:port[@key]`);
    let key: TsigKey | undefined;
    if (m[4]) {
      const name = m[4].toLowerCase().replace(/\.?$/, '.');
      key = keys.get(name);
      if (!key) throw new Error(`RPZ_NOTIFY: "${item}" names key "${m[4]}", which RPZ_TSIG_KEYS does not hold`);
    }
    notify.push({ host: (m[1] ?? m[2])!, port: p, key });
  }
  return { port, zone: zoneText, keys, allow, notify };
}

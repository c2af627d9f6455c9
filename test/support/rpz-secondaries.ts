import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unboundConf } from './unbound-process.js';

/**
 * The three resolvers ISPs run, each configured as a secondary of the gateway's RPZ primary,
 * on loopback only and with phone-home polls off. These are the configurations the README
 * ships (same options, with ports and paths filled in).
 */

export interface TsigSecret { name: string; secret: string }

export interface SecondaryOptions {
  dir: string;
  /** Where the resolver answers clients. */
  port: number;
  /** The gateway's RPZ_XFR_PORT. */
  primaryPort: number;
  /** Allowed names are forwarded here (a local responder). */
  upstreamPort: number;
  zone: string;
  key?: TsigSecret | undefined;
}

export interface Secondary {
  kind: 'bind' | 'unbound' | 'pdns';
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function findBinary(candidates: string[], versionArgs: string[], pattern: RegExp): string | undefined {
  for (const c of candidates) {
    const r = spawnSync(c, versionArgs, { encoding: 'utf8', timeout: 5_000 });
    if (!r.error && pattern.test(`${r.stdout}${r.stderr}`)) return c;
  }
  return undefined;
}

export const NAMED = findBinary(['/usr/sbin/named', 'named'], ['-v'], /BIND 9/);
export const UNBOUND = findBinary(['/usr/sbin/unbound', 'unbound'], ['-V'], /unbound/i);
export const PDNS_RECURSOR = findBinary(['/usr/sbin/pdns_recursor', 'pdns_recursor'], ['--version'], /PowerDNS Recursor/);

function launch(kind: Secondary['kind'], bin: string, args: string[], dir: string): Secondary {
  const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.once('error', (err) => { out += `\nspawn error: ${err.message}\n`; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  return {
    kind, child, output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      process.off('exit', killOnExit);
    },
  };
}

/** BIND 9.18: a secondary zone named in response-policy; root hints point at loopback only. */
export function bindConf(o: SecondaryOptions): string {
  const key = o.key ? `key "${o.key.name}" { algorithm hmac-sha256; secret "${o.key.secret}"; };\n` : '';
  const withKey = o.key ? ` key "${o.key.name}"` : '';
  return `${key}options {
  directory "${o.dir}";
  pid-file "${join(o.dir, 'named.pid')}";
  session-keyfile "${join(o.dir, 'session.key')}";
  managed-keys-directory "${o.dir}";
  listen-on port ${o.port} { 127.0.0.1; };
  listen-on-v6 { none; };
  query-source address 127.0.0.1;
  transfer-source 127.0.0.1;
  notify-source 127.0.0.1;
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  forwarders { 127.0.0.1 port ${o.upstreamPort}; };
  forward only;
  dnssec-validation no;
  notify no;
  response-policy { zone "${o.zone}"; } qname-wait-recurse no min-update-interval 0;
};
controls { };
zone "." { type hint; file "${join(o.dir, 'root.hints')}"; };
zone "${o.zone}" {
  type secondary;
  primaries { 127.0.0.1 port ${o.primaryPort}${withKey}; };
  file "${join(o.dir, 'rpz.db')}";
  allow-query { 127.0.0.0/8; };
};
logging {
  channel out { stderr; severity info; print-time yes; print-category yes; };
  category default { out; };
  category xfer-in { out; };
  category notify { out; };
  category rpz { out; };
  category security { out; };
  category general { out; };
};
`;
}

export function startBind(o: SecondaryOptions): Secondary {
  writeFileSync(join(o.dir, 'root.hints'), '. 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A 127.0.0.1\n');
  const conf = join(o.dir, 'named.conf');
  writeFileSync(conf, bindConf(o));
  const check = spawnSync('named-checkconf', [conf], { encoding: 'utf8', timeout: 10_000 });
  if (check.status !== 0 && !check.error) throw new Error(`named-checkconf rejected ${conf}:\n${check.stdout}${check.stderr}`);
  return launch('bind', NAMED!, ['-g', '-4', '-c', conf], o.dir);
}

/** Unbound 1.17: an rpz clause with the gateway as primary (Unbound has no TSIG: it transfers unsigned, from RPZ_XFR_ALLOW). */
function unboundSecondaryConf(o: SecondaryOptions): string {
  return unboundConf({
    dir: o.dir, port: o.port, upstreamPort: o.upstreamPort,
    rpzZone: o.zone, rpzFile: join(o.dir, 'rpz.zone'), rpzPrimaryPort: o.primaryPort,
  });
}

export function startUnboundSecondary(o: SecondaryOptions): Secondary {
  const conf = join(o.dir, 'unbound.conf');
  writeFileSync(conf, unboundSecondaryConf(o));
  return launch('unbound', UNBOUND!, ['-d', '-c', conf], o.dir);
}

/**
 * PowerDNS Recursor 4.8: rpzPrimary in the Lua config. Its NOTIFY handling (allow-notify-for)
 * only wipes the cache for the zone; it does not refresh an RPZ. So the RPZ is polled every
 * second (`refresh=1`): an up-to-date poll costs one IXFR answered with a lone SOA.
 * Its packet cache answers without consulting the RPZ and is not flushed when the RPZ changes
 * (PowerDNS issue #14854, fixed after 4.8), so a name asked just before its approval would
 * stay resolvable for the answer's TTL: `packetcache-ttl=1` bounds that to a second.
 */
export function pdnsConf(o: SecondaryOptions): { conf: string; lua: string } {
  const tsig = o.key ? `, tsigname="${o.key.name}", tsigalgo="hmac-sha256", tsigsecret="${o.key.secret}"` : '';
  return {
    conf: [
      'local-address=127.0.0.1',
      `local-port=${o.port}`,
      'threads=1',
      'pdns-distributes-queries=no',
      'security-poll-suffix=',
      'daemon=no',
      `socket-dir=${o.dir}`,
      `forward-zones-recurse=.=127.0.0.1:${o.upstreamPort}`,
      'qname-minimization=no',
      'dnssec=off',
      'packetcache-ttl=1',
      'dont-query=',
      'allow-from=127.0.0.0/8',
      'allow-notify-from=127.0.0.0/8',
      `allow-notify-for=${o.zone.replace(/\.$/, '')}`,
      'query-local-address=127.0.0.1',
      'loglevel=6',
      'disable-syslog=yes',
      `lua-config-file=${join(o.dir, 'rec.lua')}`,
      '',
    ].join('\n'),
    lua: `rpzPrimary("127.0.0.1:${o.primaryPort}", "${o.zone}", {policyName="${o.zone}", refresh=1${tsig}})\n`,
  };
}

export function startPdns(o: SecondaryOptions): Secondary {
  const { conf, lua } = pdnsConf(o);
  writeFileSync(join(o.dir, 'recursor.conf'), conf);
  writeFileSync(join(o.dir, 'rec.lua'), lua);
  return launch('pdns', PDNS_RECURSOR!, [`--config-dir=${o.dir}`], o.dir);
}

import { isIP } from 'node:net';

export interface UpstreamAddress {
  host: string;
  port: number;
  family: 4 | 6;
  /** For logs and metric labels: bounded by configuration. */
  label: string;
}

/** `1.2.3.4`, `1.2.3.4:53`, `[::1]:53` or `::1`; IP literals only (resolving them would need us). */
export function parseUpstream(text: string): UpstreamAddress {
  const t = text.trim();
  let host = t;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (isIP(t) !== 6) {
    const idx = t.lastIndexOf(':');
    if (idx >= 0) { host = t.slice(0, idx); port = Number(t.slice(idx + 1)); }
  }
  const family = isIP(host);
  if (family === 0) throw new Error(`upstream "${text}" is not an IP address (host:port)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`upstream "${text}" has a bad port`);
  return { host, port, family: family as 4 | 6, label: family === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

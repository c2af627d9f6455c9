import os from 'node:os';
import { isIP } from 'node:net';
import { parseIpText } from '@tizilim/shared';
import type { BlockMode } from './dns/pipeline/block-responder.js';
import { GATEWAY_ID_PATTERN, defaultGatewayId } from './sync/heartbeat-sender.js';
import { parseUpstream, type UpstreamAddress } from './dns/upstream/upstream-address.js';
import { loadRpzXfrConfig, type RpzXfrConfig } from './rpz-xfr/xfr-config.js';

export interface GatewayConfig {
  host: string;
  dnsPort: number;
  dohPort: number;
  metricsPort: number;
  sniPort: number;
  blockpagePort: number;
  /** Every allowed TLS connection goes here instead of the SNI name's own address (tests, fixed origins). */
  sniForwardTarget?: { host: string; port: number } | undefined;
  upstreams: UpstreamAddress[];
  upstreamAttemptTimeoutMs: number;
  upstreamTotalTimeoutMs: number;
  cacheMaxEntries: number;
  dataDir: string;
  workers: number;
  blockMode: BlockMode;
  sinkholeV4?: Uint8Array | undefined;
  sinkholeV6?: Uint8Array | undefined;
  registerUrl: string;
  ispToken?: string | undefined;
  publicBaseUrl: string;
  logLevel: string;
  logQueries: boolean;
  /** Seconds each changes long-poll may wait on the register. */
  syncWaitSeconds: number;
  /** Ceiling of the retry backoff while the register is unreachable. */
  syncMaxBackoffMs: number;
  /** How this gateway names itself in heartbeats (GATEWAY_ID, default `${hostname}-${DNS_PORT}`). */
  gatewayId: string;
  heartbeatIntervalMs: number;
  /**
   * GATEWAY_UDP_BATCH: `auto` uses the recvmmsg/sendmmsg addon when it was built, `off` stays on
   * dgram, `on` refuses to start without the addon.
   */
  udpBatch: 'auto' | 'on' | 'off';
  /** UDP port of the QUIC Initial checker (QUIC_PORT, default 8443 like SNI_PORT on TCP). */
  quicPort: number;
  /** Every allowed QUIC flow goes here instead of the SNI name's address (QUIC_FORWARD_TARGET). */
  quicForwardTarget?: { host: string; port: number } | undefined;
  /**
   * RELAY_ALLOW_PRIVATE=1: the block page's proxy and the SNI and QUIC relays may reach loopback,
   * private, link-local, CGNAT and metadata addresses. For tests and labs only; off by default.
   */
  relayAllowPrivate: boolean;
  /** RPZ_XFR_PORT, RPZ_ZONE, RPZ_TSIG_KEYS, RPZ_XFR_ALLOW, RPZ_NOTIFY: the zone-transfer primary. */
  rpzXfr: RpzXfrConfig;
  /** DNS over TLS (RFC 7858). */
  dotPort: number;
  /** DOH_PLAIN=1: DoH as plain HTTP/1.1, for use behind a TLS-terminating proxy. */
  dohPlain: boolean;
  /** GATEWAY_TLS_CERT / GATEWAY_TLS_KEY (PEM files); unset → a self-signed pair under the data dir. */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /** Deadlines and caps of DNS over TCP and DoT connections. */
  stream: StreamLimits;
}

export interface StreamLimits {
  /** From a message's first byte (its length prefix) to its last: a trickling client is cut off. */
  messageTimeoutMs: number;
  /** With no query outstanding and no byte received for this long, the connection is closed. */
  idleTimeoutMs: number;
  /** TLS handshake bound (DoT). */
  handshakeTimeoutMs: number;
  /** Open connections per listener, and per client address within it. */
  maxConnections: number;
  maxConnectionsPerClient: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Reads and checks the environment (DESIGN "Running"); throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const blockMode = (env.BLOCK_MODE ?? 'nxdomain').toLowerCase();
  if (blockMode !== 'nxdomain' && blockMode !== 'nodata' && blockMode !== 'sinkhole') {
    throw new ConfigError(`BLOCK_MODE must be nxdomain, nodata or sinkhole, not "${env.BLOCK_MODE}"`);
  }
  const sinkholeV4 = ipOf(env, 'SINKHOLE_IPV4', 4);
  const sinkholeV6 = ipOf(env, 'SINKHOLE_IPV6', 16);
  if (blockMode === 'sinkhole' && !sinkholeV4 && !sinkholeV6) {
    throw new ConfigError('BLOCK_MODE=sinkhole needs SINKHOLE_IPV4 and/or SINKHOLE_IPV6');
  }
  const host = env.GATEWAY_HOST ?? '127.0.0.1';
  if (isIP(host) === 0 && host !== 'localhost') throw new ConfigError(`GATEWAY_HOST must be an IP address, not "${host}"`);
  const upstreamText = env.UPSTREAMS ?? '127.0.0.1:53';
  let upstreams: UpstreamAddress[];
  try {
    upstreams = upstreamText.split(',').filter((s) => s.trim()).map(parseUpstream);
  } catch (err) {
    throw new ConfigError(`UPSTREAMS: ${(err as Error).message}`);
  }
  if (upstreams.length === 0) throw new ConfigError('UPSTREAMS must name at least one resolver');
  const cfg: GatewayConfig = {
    host,
    dnsPort: port(env, 'DNS_PORT', 5353),
    dohPort: port(env, 'DOH_PORT', 8053),
    metricsPort: port(env, 'GATEWAY_METRICS_PORT', 9153),
    sniPort: port(env, 'SNI_PORT', 8443),
    blockpagePort: port(env, 'BLOCKPAGE_PORT', 8081),
    sniForwardTarget: hostPort(env, 'SNI_FORWARD_TARGET'),
    upstreams,
    upstreamAttemptTimeoutMs: int(env, 'UPSTREAM_TIMEOUT_MS', 1500, 10, 60_000),
    upstreamTotalTimeoutMs: int(env, 'UPSTREAM_TOTAL_TIMEOUT_MS', 4000, 10, 120_000),
    cacheMaxEntries: int(env, 'CACHE_MAX_ENTRIES', 100_000, 0, 100_000_000),
    dataDir: env.GATEWAY_DATA_DIR ?? './data/gateway',
    workers: int(env, 'GATEWAY_WORKERS', os.availableParallelism(), 1, 1024),
    blockMode,
    sinkholeV4,
    sinkholeV6,
    registerUrl: url(env, 'REGISTER_URL', 'http://127.0.0.1:8080'),
    ispToken: env.ISP_TOKEN || undefined,
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', 'http://127.0.0.1:8080'),
    logLevel: env.LOG_LEVEL ?? 'info',
    logQueries: env.LOG_QUERIES === '1' || env.LOG_QUERIES === 'true',
    syncWaitSeconds: int(env, 'SYNC_WAIT_SECONDS', 30, 0, 300),
    syncMaxBackoffMs: int(env, 'SYNC_MAX_BACKOFF_MS', 30_000, 10, 600_000),
    gatewayId: env.GATEWAY_ID || defaultGatewayId(os.hostname(), port(env, 'DNS_PORT', 5353)),
    heartbeatIntervalMs: int(env, 'HEARTBEAT_INTERVAL_MS', 10_000, 50, 3_600_000),
    udpBatch: udpBatchMode(env.GATEWAY_UDP_BATCH),
    quicPort: port(env, 'QUIC_PORT', 8443),
    quicForwardTarget: hostPort(env, 'QUIC_FORWARD_TARGET'),
    relayAllowPrivate: env.RELAY_ALLOW_PRIVATE === '1' || env.RELAY_ALLOW_PRIVATE === 'true',
    rpzXfr: rpzXfrOf(env),
    dotPort: port(env, 'DOT_PORT', 8853),
    dohPlain: env.DOH_PLAIN === '1' || env.DOH_PLAIN === 'true',
    tlsCertFile: env.GATEWAY_TLS_CERT || undefined,
    tlsKeyFile: env.GATEWAY_TLS_KEY || undefined,
    stream: {
      messageTimeoutMs: int(env, 'DNS_TCP_MESSAGE_TIMEOUT_MS', 3_000, 50, 120_000),
      idleTimeoutMs: int(env, 'DNS_TCP_IDLE_TIMEOUT_MS', 10_000, 50, 3_600_000),
      handshakeTimeoutMs: int(env, 'DNS_TLS_HANDSHAKE_TIMEOUT_MS', 5_000, 50, 120_000),
      maxConnections: int(env, 'DNS_TCP_MAX_CONNECTIONS', 4096, 1, 1_000_000),
      maxConnectionsPerClient: int(env, 'DNS_TCP_MAX_PER_CLIENT', 64, 1, 1_000_000),
    },
  };
  if (!cfg.tlsCertFile !== !cfg.tlsKeyFile) throw new ConfigError('GATEWAY_TLS_CERT and GATEWAY_TLS_KEY must be set together');
  if (!GATEWAY_ID_PATTERN.test(cfg.gatewayId)) {
    throw new ConfigError(`GATEWAY_ID must be 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit, not "${cfg.gatewayId}"`);
  }
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(cfg.logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  return cfg;
}

function rpzXfrOf(env: Env): RpzXfrConfig {
  try { return loadRpzXfrConfig(env); } catch (err) { throw new ConfigError((err as Error).message); }
}

function udpBatchMode(v: string | undefined): GatewayConfig['udpBatch'] {
  const t = (v ?? 'auto').toLowerCase();
  if (t === 'auto' || t === '') return 'auto';
  if (t === 'on' || t === '1' || t === 'true') return 'on';
  if (t === 'off' || t === '0' || t === 'false') return 'off';
  throw new ConfigError(`GATEWAY_UDP_BATCH must be auto, on or off, not "${v}"`);
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${v}"`);
  return n;
}

function port(env: Env, name: string, def: number): number {
  return int(env, name, def, 0, 65535);
}

function url(env: Env, name: string, def: string): string {
  const v = env[name] || def;
  let u: URL;
  try { u = new URL(v); } catch { throw new ConfigError(`${name} must be an absolute http(s) URL, not "${v}"`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name} must be http(s), not "${v}"`);
  return v.replace(/\/+$/, '');
}

function hostPort(env: Env, name: string): { host: string; port: number } | undefined {
  const v = env[name];
  if (!v) return undefined;
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(v);
  const p = m ? Number(m[2]) : NaN;
  if (!m || !(p > 0 && p < 65536)) throw new ConfigError(`${name} must be host:port, not "${v}"`);
  return { host: m[1]!, port: p };
}

function ipOf(env: Env, name: string, bytes: 4 | 16): Uint8Array | undefined {
  const v = env[name];
  if (!v) return undefined;
  const b = parseIpText(v);
  if (!b || b.length !== bytes) throw new ConfigError(`${name} must be an IPv${bytes === 4 ? 4 : 6} address, not "${v}"`);
  return b;
}

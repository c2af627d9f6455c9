import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { insideDestinationReason, outsideAddresses, type Matcher } from '@tizilim/shared';
import { blocksNow } from '../sni/active-rule.js';
import { ipLiteralBytes } from '../sni/ip-literal.js';
import { decideFlow } from './flow-decision.js';
import { FlowTable, type TimedFlow } from './flow-table.js';
import { InitialReader } from './initial-reader.js';
import { createQuicMetrics, type QuicMetrics, type QuicOutcome } from './quic-metrics.js';
import { openQuicRelay, type QuicRelay } from './quic-relay.js';
import { quicVersionSpec } from './quic-versions.js';

export interface QuicCheckerOptions {
  host: string;
  port: number;
  /** Read per decision: the gateway swaps matchers on updates. */
  getMatcher: () => Matcher;
  /** The gateway's own resolver path, as for the SNI checker. */
  resolve: (name: string) => Promise<string[]>;
  /** `QUIC_FORWARD_TARGET`: every allowed flow goes here (operator-chosen, so not checked as inside). */
  forwardTarget?: { host: string; port: number };
  /** Origin port for resolved names. Default 443. */
  upstreamPort?: number;
  /** `RELAY_ALLOW_PRIVATE=1`: relay to loopback and private addresses too (tests, labs). */
  allowInsideDestinations?: boolean;
  /** The whole hello must be read within this. Default 3 s. */
  helloTimeoutMs?: number;
  /** A relayed flow silent this long both ways is forgotten. Default 30 s (a common QUIC max_idle_timeout). */
  idleTimeoutMs?: number;
  /** How long a dropped flow's later datagrams are dropped without reading them. Default 30 s. */
  dropMemoryMs?: number;
  /** Flows held at once. Default 10,000. */
  maxFlows?: number;
  /** Datagrams held per flow while its hello is read and its origin resolved. Default 32 KiB. */
  maxBufferedBytesPerFlow?: number;
  /** Across all flows. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Largest ClientHello. Default 16 KiB. */
  maxHelloBytes?: number;
  /**
   * Under cluster: bind the port exclusively, so one worker owns QUIC and every datagram of a
   * flow reaches the same flow table (a shared socket would spread them over workers).
   */
  exclusive?: boolean;
  registry: Registry;
  logger: Logger;
  now?: () => number;
}

export interface QuicChecker {
  /** Port bound, or undefined when another worker owns it (exclusive mode). */
  listen(): Promise<{ port: number | undefined }>;
  close(): Promise<void>;
}

type FlowState = 'reading' | 'resolving' | 'relaying' | 'dropped';

interface Flow extends TimedFlow {
  state: FlowState;
  address: string;
  port: number;
  reader: InitialReader | undefined;
  buffered: Buffer[];
  bufferedBytes: number;
  relay: QuicRelay | undefined;
  /** Anti-amplification (RFC 9000 §8.1): until validated, at most 3× what the client sent. */
  fromClient: number;
  toClient: number;
  validated: boolean;
  /** Origin datagrams waiting for the client to earn them (anti-amplification). */
  held: Buffer[];
  heldBytes: number;
  /** Long-header type bits of a Handshake packet in the flow's version: one proves the address. */
  handshakeType: number;
  initialType: number;
  version: number;
  /** The DCID of the client's first Initial, and the server's CIDs seen in its replies (≤ 4). */
  connectionIds: Buffer[];
}

/** RFC 9000 §14.1: a server discards a client Initial in a datagram smaller than this. */
const MIN_INITIAL_DATAGRAM = 1200;
/**
 * Until a client proves its address, it gets no more bytes than it sent: stricter than RFC 9000
 * §8.1's 3× (the origin applies that to us), so a spoofed source can never be used to amplify.
 * What does not fit waits in a small queue and goes out as the client sends more (its ACKs are
 * padded to 1200 bytes, RFC 9000 §14.1) or proves its address; handshakes take an extra round
 * trip at most.
 */
const AMPLIFICATION_FACTOR = 1;
/** Origin bytes queued per unvalidated flow; beyond it they are dropped (the origin retransmits). */
const MAX_HELD_TO_CLIENT = 16 * 1024;
const SWEEP_MS = 500;

/**
 * The QUIC Initial checker (DESIGN "Every rule kind, every transport", QUIC). Reads each new
 * flow's client Initials until the ClientHello is whole, then drops flows to blocked names (the
 * client falls back to TCP, where the SNI checker refuses it) and relays allowed ones. It never
 * originates a packet: a dropped or unreadable flow gets silence; and a relayed flow's client
 * never gets more bytes than it sent until it proves its address, so the checker cannot be used
 * to amplify traffic at a spoofed victim.
 */
export function createQuicChecker(options: QuicCheckerOptions): QuicChecker {
  const {
    getMatcher, resolve, forwardTarget, logger, upstreamPort = 443, allowInsideDestinations = false,
    helloTimeoutMs = 3000, idleTimeoutMs = 30_000, dropMemoryMs = 30_000, maxFlows = 10_000,
    maxBufferedBytesPerFlow = 32 * 1024, maxBufferedBytes = 16 * 1024 * 1024, maxHelloBytes = 16384,
    now = Date.now,
  } = options;
  const metrics: QuicMetrics = createQuicMetrics(options.registry);
  const flows = new FlowTable<Flow>(maxFlows);
  let bufferedTotal = 0;
  const debug = (): boolean => logger.isLevelEnabled('debug');
  const family = options.host.includes(':') ? 'udp6' : 'udp4';
  const sock = dgram.createSocket({
    type: family,
    lookup: (address, _o, cb) => cb(null, address, isIP(address) === 6 ? 6 : 4),
  });
  let sweeper: NodeJS.Timeout | undefined;

  const toClient = (flow: Flow, msg: Buffer): void => {
    // The server's connection IDs (its long headers' SCID): the client may address Initials to them.
    if ((msg[0]! & 0x80) !== 0 && flow.connectionIds.length < 5 && msg.length > 6) {
      const scidAt = 6 + msg[5]!;
      const scidLength = msg[scidAt];
      if (scidLength !== undefined && scidLength <= 20 && scidAt + 1 + scidLength <= msg.length) {
        const scid = msg.subarray(scidAt + 1, scidAt + 1 + scidLength);
        if (!flow.connectionIds.some((c) => c.equals(scid))) flow.connectionIds.push(Buffer.from(scid));
      }
    }
    if (!flow.validated && (flow.held.length > 0 || flow.toClient + msg.length > AMPLIFICATION_FACTOR * flow.fromClient)) {
      if (flow.heldBytes + msg.length <= MAX_HELD_TO_CLIENT) {
        flow.held.push(msg);
        flow.heldBytes += msg.length;
      } else metrics.amplificationHeld.inc(msg.length);
      return;
    }
    flow.toClient += msg.length;
    flow.deadline = performance.now() + idleTimeoutMs;
    sock.send(msg, flow.port, flow.address);
  };

  /** Sends what the client has now earned (all of it once its address is validated). */
  const releaseHeld = (flow: Flow): void => {
    while (flow.held.length > 0) {
      const next = flow.held[0]!;
      if (!flow.validated && flow.toClient + next.length > AMPLIFICATION_FACTOR * flow.fromClient) return;
      flow.held.shift();
      flow.heldBytes -= next.length;
      flow.toClient += next.length;
      sock.send(next, flow.port, flow.address);
    }
  };

  const releaseBuffered = (flow: Flow): void => {
    bufferedTotal -= flow.bufferedBytes;
    flow.buffered = [];
    flow.bufferedBytes = 0;
    flow.held = [];
    flow.heldBytes = 0;
  };
  const release = (flow: Flow): void => {
    releaseBuffered(flow);
    flow.reader = undefined;
  };

  const end = (key: string, flow: Flow, outcome: QuicOutcome | undefined): void => {
    if (outcome !== undefined) metrics.outcome[outcome].inc();
    release(flow);
    flow.relay?.close();
    flow.relay = undefined;
    if (outcome === 'blocked' || outcome === 'inside') {
      // Remembered, so the client's retransmissions are dropped without reading them again.
      flow.state = 'dropped';
      flow.deadline = performance.now() + dropMemoryMs;
    } else {
      flows.delete(key);
      metrics.flows.set(flows.size);
    }
  };

  const onDatagram = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const key = rinfo.address + ' ' + rinfo.port;
    let flow = flows.get(key);
    if (flow === undefined) {
      // Only a client Initial opens a flow, and only in a full-size datagram: smaller ones
      // create no state, so spoofed floods of small packets cost a length check.
      if (msg.length < MIN_INITIAL_DATAGRAM) { metrics.outcome.short_datagram.inc(); return; }
      flow = {
        state: 'reading', address: rinfo.address, port: rinfo.port, deadline: performance.now() + helloTimeoutMs,
        reader: new InitialReader({ maxHelloBytes }), buffered: [], bufferedBytes: 0, relay: undefined,
        fromClient: 0, toClient: 0, validated: false, held: [], heldBytes: 0, handshakeType: -1, initialType: -1, version: 0, connectionIds: [],
      };
      const status = flow.reader!.push(msg);
      if (status !== 'need_more' && status !== 'done') {
        // Unreadable from the first datagram: no state kept, the next one is read afresh.
        metrics.outcome[status].inc();
        if (debug()) logger.debug({ client: key, reason: status }, 'quic: unreadable initial dropped');
        return;
      }
      if (!flows.add(key, flow)) { metrics.outcome.flow_cap.inc(); return; }
      metrics.flows.set(flows.size);
      const spec = quicVersionSpec(flow.reader!.version);
      flow.handshakeType = spec === undefined ? -1 : (spec.initialType + 2) & 3;
      flow.initialType = spec === undefined ? -1 : spec.initialType;
      flow.version = flow.reader!.version;
      if (msg.length > 6 && msg[5]! <= 20 && msg.length >= 6 + msg[5]!) flow.connectionIds.push(Buffer.from(msg.subarray(6, 6 + msg[5]!)));
      buffer(flow, msg);
      if (status === 'done') decide(key, flow);
      return;
    }
    switch (flow.state) {
      case 'dropped':
        return;
      case 'relaying': {
        if ((msg[0]! & 0x80) !== 0) {
          const g = guardLongHeader(flow, msg);
          if (g === 'restart') {
            // Another connection from the same address and port: the origin would demultiplex
            // it by its connection ID, so it is read and decided as a flow of its own.
            end(key, flow, 'restarted');
            onDatagram(msg, rinfo);
            return;
          }
          if (g === 'drop') { end(key, flow, 'conflict'); return; }
          if (g === 'blocked') { end(key, flow, 'blocked'); return; }
        }
        flow.fromClient += msg.length;
        if (!flow.validated && provesAddress(msg, flow.handshakeType)) {
          flow.validated = true;
          // The client has dropped its Initial keys (RFC 9001 §4.9.1): nothing more to read.
          flow.reader = undefined;
        }
        flow.deadline = performance.now() + idleTimeoutMs;
        flow.relay!.send(msg);
        if (flow.held.length > 0) releaseHeld(flow);
        return;
      }
      case 'resolving':
        if (!buffer(flow, msg)) end(key, flow, 'buffer_cap');
        return;
      case 'reading': {
        if (!buffer(flow, msg)) { end(key, flow, 'buffer_cap'); return; }
        const status = flow.reader!.push(msg);
        if (status === 'done') decide(key, flow);
        else if (status !== 'need_more') end(key, flow, status);
      }
    }
  };

  /**
   * A long-header datagram from a client being relayed. Before the client proves its address,
   * its Initials must belong to the decided connection (the first DCID or one the server gave)
   * and are read on: different bytes at a CRYPTO offset already read end the flow, and a
   * second ClientHello (after HelloRetryRequest) is decided too. After that, the client has
   * discarded its Initial keys (RFC 9001 §4.9.1), so any Initial starts another connection.
   */
  const guardLongHeader = (flow: Flow, msg: Buffer): 'pass' | 'restart' | 'drop' | 'blocked' => {
    if (msg.length < 7) return 'pass';
    const version = msg.readUInt32BE(1);
    const typeBits = (msg[0]! >> 4) & 3;
    if (version !== flow.version) return version === 0 ? 'pass' : 'restart';
    if (typeBits !== flow.initialType) return 'pass';
    if (flow.validated || flow.reader === undefined) return 'restart';
    const dcidLength = msg[5]!;
    if (dcidLength > 20 || msg.length < 6 + dcidLength) return 'drop';
    const dcid = msg.subarray(6, 6 + dcidLength);
    if (!flow.connectionIds.some((c) => c.equals(dcid))) return 'restart';
    const hellos = flow.reader.hellos;
    const status = flow.reader.push(msg);
    if (status !== 'done') return 'drop';
    if (flow.reader.hellos !== hellos) {
      const d = decideFlow(flow.reader.info!, getMatcher(), now());
      if (d.kind === 'blocked') return 'blocked';
    }
    return 'pass';
  };

  /** Holds a datagram for replay to the origin; false past a cap. */
  const buffer = (flow: Flow, msg: Buffer): boolean => {
    if (flow.bufferedBytes + msg.length > maxBufferedBytesPerFlow || bufferedTotal + msg.length > maxBufferedBytes) return false;
    flow.buffered.push(msg);
    flow.bufferedBytes += msg.length;
    flow.fromClient += msg.length;
    bufferedTotal += msg.length;
    return true;
  };

  const decide = (key: string, flow: Flow): void => {
    const info = flow.reader!.info!;
    if (info.ech) metrics.ech.inc();
    const matcher = getMatcher();
    const d = decideFlow(info, matcher, now());
    if (d.kind === 'blocked') {
      if (debug()) logger.debug({ client: key, sni: info.serverName, entry: d.entry }, 'quic: blocked');
      end(key, flow, 'blocked');
      return;
    }
    if (forwardTarget !== undefined) {
      // The operator's target may be a name: the OS resolves it, as for SNI_FORWARD_TARGET.
      startRelay(key, flow, forwardTarget.host, forwardTarget.port, info.serverName);
      return;
    }
    if (d.kind === 'no_sni' || d.kind === 'invalid_name') { end(key, flow, d.kind); return; }
    if (!allowInsideDestinations) {
      const why = insideDestinationReason(d.name);
      if (why !== undefined) { refuseInside(key, flow, d.name, why); return; }
    }
    if (d.ip !== undefined) {
      startRelay(key, flow, d.name.charCodeAt(0) === 0x5b ? d.name.slice(1, -1) : d.name, upstreamPort, d.name);
      return;
    }
    flow.state = 'resolving';
    flow.deadline = performance.now() + helloTimeoutMs;
    resolve(d.name).then((addrs) => {
      if (flows.get(key) !== flow || flow.state !== 'resolving') return;
      // IP rules apply to where the name leads too; other addresses of the name may serve it.
      const m = getMatcher();
      let allowed: string[] = [];
      let blocked = false;
      for (const a of addrs) {
        const bytes = ipLiteralBytes(a);
        if (bytes !== undefined && blocksNow(m, m.matchIp(bytes), now())) blocked = true;
        else allowed.push(a);
      }
      if (allowed.length === 0 && blocked) { end(key, flow, 'blocked'); return; }
      if (!allowInsideDestinations) {
        const outside = outsideAddresses(allowed);
        if (outside.allowed.length === 0 && outside.refused !== undefined) { refuseInside(key, flow, d.name, outside.refused); return; }
        allowed = outside.allowed;
      }
      const target = allowed.find((a) => isIP(a) !== 0);
      if (target === undefined) { end(key, flow, 'no_route'); return; }
      startRelay(key, flow, target, upstreamPort, d.name);
    }, (err: unknown) => {
      if (debug()) logger.debug({ err, sni: d.name }, 'quic: resolve failed');
      if (flows.get(key) === flow && flow.state === 'resolving') end(key, flow, 'no_route');
    });
  };

  const refuseInside = (key: string, flow: Flow, name: string, why: string): void => {
    logger.warn({ client: key, sni: name, why }, 'quic: refused a destination inside the network');
    end(key, flow, 'inside');
  };

  const startRelay = (key: string, flow: Flow, host: string, port: number, sni: string | null): void => {
    flow.state = 'relaying';
    flow.deadline = performance.now() + idleTimeoutMs;
    const relay = openQuicRelay(host, port, (reply) => {
      if (flows.get(key) === flow && flow.state === 'relaying') toClient(flow, reply);
    }, (err) => {
      if (debug()) logger.debug({ err, sni, host, port }, 'quic: origin unreachable');
      if (flows.get(key) === flow && flow.state === 'relaying') end(key, flow, undefined);
    });
    flow.relay = relay;
    metrics.outcome.allowed.inc();
    if (debug()) logger.debug({ client: key, sni, host, port }, 'quic: relaying');
    const held = flow.buffered;
    releaseBuffered(flow);
    for (const d of held) relay.send(d);
  };

  sock.on('message', onDatagram);

  return {
    listen: () => new Promise((resolveListen, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        if (options.exclusive && err.code === 'EADDRINUSE') {
          logger.info({ port: options.port }, 'quic checker: another worker owns the port');
          sock.close();
          resolveListen({ port: undefined });
          return;
        }
        reject(err);
      };
      sock.once('error', onError);
      sock.bind({ port: options.port, address: options.host, exclusive: options.exclusive ?? false }, () => {
        sock.off('error', onError);
        // Send errors (ICMP from a client that left) are per datagram: note them, go on.
        sock.on('error', (err) => logger.debug({ err }, 'quic: socket error'));
        const port = sock.address().port;
        sweeper = setInterval(() => {
          const t = performance.now();
          flows.sweep(t, (_key, flow) => {
            if (flow.state === 'reading' || flow.state === 'resolving') metrics.outcome.timeout.inc();
            release(flow);
            flow.relay?.close();
          });
          metrics.flows.set(flows.size);
        }, SWEEP_MS);
        sweeper.unref();
        logger.info({ host: options.host, port }, 'quic checker listening');
        resolveListen({ port });
      });
    }),
    close: () => new Promise((resolveClose) => {
      if (sweeper) clearInterval(sweeper);
      if (sweeper === undefined) { resolveClose(); return; }
      flows.clear((_k, flow) => { release(flow); flow.relay?.close(); });
      metrics.flows.set(0);
      try { sock.close(() => resolveClose()); } catch { resolveClose(); }
    }),
  };
}

/** A short-header packet or a Handshake packet: the client has the server's keys, so it owns its address. */
function provesAddress(msg: Buffer, handshakeType: number): boolean {
  const first = msg[0]!;
  if ((first & 0x80) === 0) return (first & 0x40) !== 0;
  return ((first >> 4) & 3) === handshakeType;
}

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { insideDestinationReason, outsideAddresses, type Matcher } from '@tizilim/shared';
import { ClientHelloParser, type ClientHelloInfo, type HelloStatus } from './client-hello-parser.js';
import { blocksNow } from './active-rule.js';
import { ipLiteralBytes } from './ip-literal.js';
import { createSniMetrics, type SniMetrics } from './sni-metrics.js';
import { relay } from './tcp-relay.js';
import { connectFirst } from './upstream-connect.js';
import { ConnectionDrain, listenOn } from '../util/listen.js';
import {
  ALERT_ACCESS_DENIED, ALERT_DECODE_ERROR, ALERT_INTERNAL_ERROR, ALERT_UNRECOGNIZED_NAME, alertRecord,
} from './tls-alert.js';

export interface SniCheckerOptions {
  host: string;
  port: number;
  /** Read on every connection: the gateway swaps matchers on updates. */
  getMatcher: () => Matcher;
  /** The gateway's own resolver path: addresses for an allowed name. */
  resolve: (name: string) => Promise<string[]>;
  /**
   * Send every allowed connection here instead of to the resolved name (`SNI_FORWARD_TARGET`).
   * The operator chose it, so it is exempt from the inside-destination check.
   */
  forwardTarget?: { host: string; port: number };
  /**
   * Relay to loopback, private, link-local, CGNAT and metadata addresses too (`RELAY_ALLOW_PRIVATE=1`):
   * for tests and labs whose origins live on such addresses. Off by default.
   */
  allowInsideDestinations?: boolean;
  /** Port of the origin for resolved names. Default 443. */
  upstreamPort?: number;
  /** The whole ClientHello must arrive within this, however it trickles. Default 10 s. */
  helloTimeoutMs?: number;
  /** A relayed connection silent this long in both directions is cut. Default 5 min. */
  idleTimeoutMs?: number;
  /** Per upstream address tried. Default 10 s. */
  connectTimeoutMs?: number;
  /** Largest ClientHello message accepted. Default 16 KiB. */
  maxHelloBytes?: number;
  registry: Registry;
  logger: Logger;
  /** Clock for suspension ends; tests move it. */
  now?: () => number;
}

export interface SniChecker {
  listen(): Promise<{ port: number }>;
  /** Stops accepting and destroys every open connection, relayed or not. */
  close(): Promise<void>;
}

/** After a refusal alert, how long the client may take to close before we cut it. */
const LINGER_MS = 2000;

export function createSniChecker(options: SniCheckerOptions): SniChecker {
  const {
    getMatcher, resolve, forwardTarget, logger,
    upstreamPort = 443, helloTimeoutMs = 10_000, idleTimeoutMs = 300_000,
    connectTimeoutMs = 10_000, maxHelloBytes = 16384, now = Date.now, allowInsideDestinations = false,
  } = options;
  const metrics: SniMetrics = createSniMetrics(options.registry);
  const open = new Set<Socket>();
  const debug = (): boolean => logger.isLevelEnabled('debug');

  const track = (s: Socket): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    track(socket);
    socket.on('error', noop);
    const parser = new ClientHelloParser({ maxHelloBytes });
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (): void => {
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
    };
    // A deadline for the whole hello, not an idle timer: a byte every few seconds must not
    // hold a descriptor forever.
    const timer = setTimeout(() => {
      settle();
      metrics.result.timeout.inc();
      socket.destroy();
    }, helloTimeoutMs);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const status = parser.push(chunk);
      if (status === 'need_more') return;
      settle();
      socket.pause();
      drain.begin(socket);
      onHello(socket, status, parser.info, chunks);
    };
    const onEnd = (): void => {
      settle();
      metrics.result.closed_early.inc();
      socket.destroy();
    };
    const onClose = (): void => {
      if (settled) return;
      settle();
      metrics.result.closed_early.inc();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
  });

  // A stop drains like the DNS stream listeners: no new connections; one still waiting for its
  // hello is idle and closed at once; one whose hello arrived (being decided, refused or
  // relayed) keeps going until it closes or the drain grace ends.
  const drain = new ConnectionDrain(server);

  function onHello(socket: Socket, status: HelloStatus, info: ClientHelloInfo | undefined, chunks: Buffer[]): void {
    if (status !== 'done' || info === undefined) {
      if (status === 'malformed') {
        metrics.result.malformed.inc();
        refuse(socket, 0x0303, ALERT_DECODE_ERROR);
      } else {
        // Not TLS, or a hello too large to be honest: nothing a TLS alert would help with.
        metrics.result[status === 'too_large' ? 'too_large' : 'not_tls'].inc();
        socket.destroy();
      }
      return;
    }
    metrics.alpn[info.alpn].inc();
    if (info.ech) metrics.feature.ech.inc();
    if (info.esni) metrics.feature.esni.inc();

    const matcher = getMatcher();
    const name = info.serverName;
    let ip: Uint8Array | undefined;
    if (name === null) {
      metrics.feature.no_sni.inc();
    } else {
      if (!info.serverNameValid) {
        // Bytes no DNS name has: it cannot be matched faithfully, so it is not let through.
        metrics.feature.invalid_name.inc();
        metrics.result.no_route.inc();
        refuse(socket, info.legacyVersion, ALERT_UNRECOGNIZED_NAME);
        return;
      }
      ip = ipLiteralBytes(name);
      if (ip !== undefined) metrics.feature.ip_literal.inc();
      const handle = ip !== undefined ? matcher.matchIp(ip) : matcher.matchHost(name);
      if (blocksNow(matcher, handle, now())) {
        block(socket, info, name, matcher.entryOf(handle));
        return;
      }
    }

    const inside = forwardTarget === undefined && name !== null && !allowInsideDestinations ? insideDestinationReason(name) : undefined;
    if (forwardTarget !== undefined) {
      forward(socket, info, chunks, [forwardTarget.host], forwardTarget.port);
    } else if (name === null) {
      metrics.result.no_route.inc();
      refuse(socket, info.legacyVersion, ALERT_UNRECOGNIZED_NAME);
    } else if (inside !== undefined) {
      refuseInside(socket, info, name, inside);
    } else if (ip !== undefined) {
      forward(socket, info, chunks, [name.charCodeAt(0) === 0x5b ? name.slice(1, -1) : name], upstreamPort);
    } else {
      resolve(name).then((addrs) => {
        if (socket.destroyed) return;
        // IP rules apply to where the name leads too; other addresses of the name may serve it.
        const allowed: string[] = [];
        let blockedEntry = -1;
        for (const a of addrs) {
          const bytes = ipLiteralBytes(a);
          const h = bytes === undefined ? -1 : matcher.matchIp(bytes);
          if (bytes !== undefined && blocksNow(matcher, h, now())) {
            if (blockedEntry < 0) blockedEntry = matcher.entryOf(h);
          } else allowed.push(a);
        }
        if (allowed.length === 0 && blockedEntry >= 0) { block(socket, info, name, blockedEntry); return; }
        if (!allowInsideDestinations) {
          const outside = outsideAddresses(allowed);
          if (outside.allowed.length === 0 && outside.refused !== undefined) { refuseInside(socket, info, name, outside.refused); return; }
          allowed.splice(0, allowed.length, ...outside.allowed);
        }
        if (allowed.length === 0) {
          metrics.result.no_route.inc();
          refuse(socket, info.legacyVersion, ALERT_UNRECOGNIZED_NAME);
          return;
        }
        forward(socket, info, chunks, allowed, upstreamPort);
      }, (err: unknown) => {
        if (debug()) logger.debug({ err, sni: name }, 'sni: resolve failed');
        if (socket.destroyed) return;
        metrics.result.no_route.inc();
        refuse(socket, info.legacyVersion, ALERT_UNRECOGNIZED_NAME);
      });
    }
  }

  function block(socket: Socket, info: ClientHelloInfo, name: string, entry: number): void {
    metrics.result.blocked.inc();
    if (debug()) logger.debug({ sni: name, entry }, 'sni: blocked');
    refuse(socket, info.legacyVersion, ALERT_ACCESS_DENIED);
  }

  /** A destination inside the network (DESIGN "Never a relay into the inside"). */
  function refuseInside(socket: Socket, info: ClientHelloInfo, name: string, why: string): void {
    metrics.result.inside.inc();
    logger.warn({ sni: name, why }, 'sni: refused a destination inside the network');
    refuse(socket, info.legacyVersion, ALERT_ACCESS_DENIED);
  }

  function forward(socket: Socket, info: ClientHelloInfo, chunks: Buffer[], hosts: readonly string[], port: number): void {
    connectFirst(hosts, port, connectTimeoutMs, () => socket.destroyed, (err, upstream) => {
      if (upstream === undefined) {
        if (socket.destroyed) return;
        if (debug()) logger.debug({ err, sni: info.serverName, hosts, port }, 'sni: upstream unreachable');
        metrics.result.upstream_error.inc();
        refuse(socket, info.legacyVersion, ALERT_INTERNAL_ERROR);
        return;
      }
      if (socket.destroyed) { upstream.destroy(); return; }
      track(upstream);
      metrics.result.allowed.inc();
      metrics.relays.inc();
      relay(socket, upstream, chunks, idleTimeoutMs, () => metrics.relays.dec());
    });
  }

  return {
    listen: async () => {
      const port = await listenOn(server, options.port, options.host);
      logger.info({ host: options.host, port }, 'sni checker listening');
      return { port };
    },
    close: async () => {
      if (server.listening) await drain.drain();
      // Upstream halves of relays, and anything the drain did not see.
      for (const s of open) s.destroy();
    },
  };
}

/**
 * Sends a fatal alert and closes. The socket keeps being read (and discarded) until the
 * client closes or the linger ends: closing with unread bytes would send a RST, and a RST can
 * make the client's kernel drop the alert before the client reads it.
 */
function refuse(socket: Socket, clientVersion: number, description: number): void {
  socket.on('data', noop);
  socket.resume();
  socket.end(alertRecord(clientVersion, description));
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}

function noop(): void {}

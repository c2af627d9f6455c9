/** Sockets for the SNI checker tests: origins, a segment-splitting proxy, raw exchanges. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

export interface Cert { key: Buffer; cert: Buffer }

/** A self-signed P-256 certificate for allowed.test, made fresh by openssl. */
export function makeCert(): Cert {
  const dir = mkdtempSync(join(tmpdir(), 'sni-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=allowed.test', '-addext', 'subjectAltName=DNS:allowed.test',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Listening { port: number; server: Server; close(): Promise<void> }

async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('secureConnection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

/** A TLS origin echoing what it reads, half-close aware (it ends after the client ends). */
export function tlsEchoOrigin(cert: Cert): Promise<Listening> {
  const server = tls.createServer({ ...cert, allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); });
  return listen(server);
}

/** A plain TCP origin echoing what it reads: shows the checker replayed the hello intact. */
export function rawEchoOrigin(): Promise<Listening> {
  const server = createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); });
  return listen(server);
}

export type Reshape = (firstRecord: Buffer) => { parts: Buffer[]; gapMs: number };

/**
 * A proxy in front of the checker that re-sends the client's first TLS record reshaped
 * (one byte per segment, two segments, several records), then relays the rest. Lets a real
 * TLS client's hello arrive the way a hostile or unlucky network would deliver it.
 */
export async function reshapingProxy(targetPort: number, reshape: Reshape): Promise<Listening> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.setNoDelay(true);
    const up = connect({ host: '127.0.0.1', port: targetPort, noDelay: true, allowHalfOpen: true });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    up.on('close', (hadError: boolean) => { if (hadError) client.destroy(); });
    up.pipe(client);
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      if (head.length < 5) return;
      const need = 5 + head.readUInt16BE(3);
      if (head.length < need) return;
      client.off('data', onData);
      client.pause();
      const { parts, gapMs } = reshape(head.subarray(0, need));
      const rest = head.subarray(need);
      void (async () => {
        for (const p of parts) {
          up.write(p);
          // gapMs 0: each part still leaves on its own turn of the event loop (its own segment),
          // without a timer's millisecond per part that a loaded machine stretches further.
          if (gapMs > 0) await sleep(gapMs);
          else await new Promise((r) => setImmediate(r));
        }
        if (rest.length > 0) up.write(rest);
        client.pipe(up);
      })();
    };
    client.on('data', onData);
  });
  return listen(server);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Exchange { data: Buffer; closedAfterMs: number }

/**
 * Writes `parts` (with a gap between them) on a plain TCP connection and collects what comes
 * back until the peer closes, or until `enough(data)` says so, when it closes itself.
 */
export function exchange(port: number, parts: readonly Buffer[], opts: { gapMs?: number; enough?: (d: Buffer) => boolean; timeoutMs?: number } = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`exchange timed out after ${Date.now() - start} ms`)); }, opts.timeoutMs ?? 10_000);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (opts.enough?.(Buffer.concat(chunks, size))) s.end();
    });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks, size), closedAfterMs: Date.now() - start }); });
    s.on('connect', () => {
      void (async () => {
        for (const p of parts) {
          if (s.destroyed) return;
          s.write(p);
          if (opts.gapMs) await sleep(opts.gapMs);
        }
      })();
    });
  });
}

export interface TlsResult { ok: boolean; code?: string; message?: string; echoed?: string }

/** A Node TLS client: handshake, send `payload`, half-close, read the echo to the end. */
export function tlsRoundTrip(port: number, servername: string, opts: { payload?: string; ca?: Buffer; alpn?: string[] } = {}): Promise<TlsResult> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1', port, servername,
      ...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
      ...(opts.alpn ? { ALPNProtocols: opts.alpn } : {}),
    });
    const chunks: Buffer[] = [];
    s.setTimeout(10_000, () => s.destroy(new Error('client timeout')));
    s.on('secureConnect', () => { s.end(opts.payload ?? 'ping'); });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve({ ok: true, echoed: Buffer.concat(chunks).toString() }));
    s.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code ?? '', message: err.message }));
  });
}

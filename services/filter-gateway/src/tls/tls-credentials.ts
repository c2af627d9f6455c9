import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type tls from 'node:tls';
import type { Logger } from 'pino';

/** How often the certificate files are checked for change (stat polling survives renames). */
const WATCH_INTERVAL_MS = 1_000;

/**
 * The certificate and key of the TLS listeners (DoT, DoH), from PEM files. When either file
 * changes (a renewal, an atomic rename included), the pair is read again and handed to every
 * attached server with setSecureContext: new handshakes use it, open connections keep theirs.
 * A pair that does not load (half-written, key not matching) is logged and the old one kept.
 */
export class TlsCredentials {
  readonly #servers = new Set<tls.Server>();
  #cert: Buffer;
  #key: Buffer;
  #watching = false;
  #reloads = 0;

  constructor(readonly certFile: string, readonly keyFile: string, private readonly log: Logger) {
    const pair = loadPair(certFile, keyFile);
    this.#cert = pair.cert;
    this.#key = pair.key;
  }

  /** Successful reloads since start (for tests and logs). */
  get reloads(): number { return this.#reloads; }

  get fingerprint256(): string { return new X509Certificate(this.#cert).fingerprint256; }

  secureContextOptions(): tls.SecureContextOptions {
    return { cert: this.#cert, key: this.#key };
  }

  attach(server: tls.Server): void {
    this.#servers.add(server);
    if (this.#watching) return;
    this.#watching = true;
    watchFile(this.certFile, { interval: WATCH_INTERVAL_MS, persistent: false }, this.#onChange);
    watchFile(this.keyFile, { interval: WATCH_INTERVAL_MS, persistent: false }, this.#onChange);
  }

  detach(server: tls.Server): void {
    this.#servers.delete(server);
    if (this.#servers.size === 0) this.close();
  }

  /** Reads the files now; true when a new pair was taken. */
  reload(): boolean {
    let pair: { cert: Buffer; key: Buffer };
    try {
      pair = loadPair(this.certFile, this.keyFile);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, cert: this.certFile }, 'TLS certificate changed but does not load; keeping the old one');
      return false;
    }
    if (pair.cert.equals(this.#cert) && pair.key.equals(this.#key)) return false;
    this.#cert = pair.cert;
    this.#key = pair.key;
    for (const s of this.#servers) s.setSecureContext(this.secureContextOptions());
    this.#reloads++;
    this.log.info({ cert: this.certFile, sha256: this.fingerprint256 }, 'TLS certificate reloaded');
    return true;
  }

  close(): void {
    if (!this.#watching) return;
    this.#watching = false;
    unwatchFile(this.certFile, this.#onChange);
    unwatchFile(this.keyFile, this.#onChange);
  }

  readonly #onChange = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
    this.reload();
  };
}

/** Reads and checks a pair: both parse, and the key belongs to the certificate. */
function loadPair(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const x509 = new X509Certificate(cert);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error(`${keyFile} is not the key of ${certFile}`);
  return { cert, key };
}

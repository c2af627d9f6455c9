import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificatePair {
  certFile: string;
  keyFile: string;
  /** SHA-256 fingerprint of the certificate, colon-separated hex (as openssl prints it). */
  fingerprint256: string;
  created: boolean;
}

/**
 * A self-signed certificate for the gateway's TLS listeners when none is configured, made once
 * under `dir` and reused on later starts. Made with the openssl CLI: Node's crypto makes keys
 * but not X.509 certificates. P-256, valid for localhost, 127.0.0.1 and ::1, 825 days.
 * Written beside and renamed into place, so a reader never sees half a pair.
 */
export async function ensureSelfSignedPair(dir: string): Promise<CertificatePair> {
  const certFile = path.join(dir, 'gateway-cert.pem');
  const keyFile = path.join(dir, 'gateway-key.pem');
  let created = false;
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `.new-${process.pid}`;
    try {
      await run('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-days', '825', '-subj', '/CN=tizilim-gateway',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout', keyFile + tmp, '-out', certFile + tmp,
      ], { timeout: 20_000 });
      await rename(keyFile + tmp, keyFile);
      await rename(certFile + tmp, certFile);
    } finally {
      await rm(keyFile + tmp, { force: true });
      await rm(certFile + tmp, { force: true });
    }
    created = true;
  }
  const fingerprint256 = new X509Certificate(await readFile(certFile)).fingerprint256;
  return { certFile, keyFile, fingerprint256, created };
}

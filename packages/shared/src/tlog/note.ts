import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeStrictBase64, publicKeyToBase64 } from '../public-log/signing-key.js';

/**
 * C2SP signed-note: a UTF-8 text ending in a newline, a blank line, then signature lines
 * `— <key name> <base64(4-byte key ID ‖ signature)>`. Key IDs are the first four bytes of
 * SHA-256(name ‖ "\n" ‖ signature type ‖ public key); type 0x01 is Ed25519 over the text
 * (§"Signatures", §"Verifier keys"). Go's golang.org/x/mod/sumdb/note reads the same bytes.
 */
export const SIGNATURE_TYPE_ED25519 = 0x01;
const EM_DASH = '\u2014';
const MAX_SIGNATURES = 100;

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The bytes after the key ID. */
  signature: Buffer;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: Buffer, signature: Buffer): boolean;
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(text: Buffer): Buffer;
}

/** signed-note §"Verifier keys": a key name is non-empty and has no whitespace and no '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && isValidUtf8Text(name);
}

/** Go's note package refuses text with control characters other than newline. */
function isValidUtf8Text(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text) && !/[\ud800-\udfff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

export function keyIdOf(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(Buffer.from([type])).update(publicKey).digest().readUInt32BE(0);
}

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(publicKeyToBase64(key), 'base64');
}

function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** The Ed25519 note signer of `name` (the register's: the name is the log origin). */
export function ed25519NoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  if (!isValidKeyName(name)) throw new Error(`note key name ${JSON.stringify(name)} is not valid (no spaces, no '+')`);
  if (privateKey.type !== 'private') throw new TypeError('expected an Ed25519 private key');
  const key = privateKey;
  return { name, keyId: keyIdOf(name, SIGNATURE_TYPE_ED25519, rawPublicKey(key)), sign: (text) => sign(null, text, key) };
}

/** `<name>+<8 hex digits of key ID>+<base64(type ‖ public key)>`, as `GET /tlog/key` serves it. */
export function verifierKeyText(name: string, type: number, publicKey: Uint8Array): string {
  const id = keyIdOf(name, type, publicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${Buffer.concat([Buffer.from([type]), publicKey]).toString('base64')}`;
}

export function ed25519VerifierKey(name: string, key: KeyObject): string {
  return verifierKeyText(name, SIGNATURE_TYPE_ED25519, rawPublicKey(key));
}

export interface ParsedVerifierKey {
  name: string;
  keyId: number;
  type: number;
  publicKey: Buffer;
}

/** Parses a verifier key text; null unless its parts are well formed and the key ID matches. */
export function parseVerifierKey(text: string): ParsedVerifierKey | null {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m || !isValidKeyName(m[1]!)) return null;
  const raw = decodeStrictBase64(m[3]!);
  if (!raw || raw.length < 2) return null;
  const type = raw[0]!;
  const publicKey = raw.subarray(1);
  if ((type === SIGNATURE_TYPE_ED25519 || type === 0x04) && publicKey.length !== 32) return null;
  const keyId = Number.parseInt(m[2]!, 16);
  if (keyIdOf(m[1]!, type, publicKey) !== keyId) return null;
  return { name: m[1]!, keyId, type, publicKey };
}

/** A verifier for an Ed25519 (type 0x01) verifier key text; null for any other key. */
export function ed25519NoteVerifier(keyText: string): NoteVerifier | null {
  const parsed = parseVerifierKey(keyText);
  if (!parsed || parsed.type !== SIGNATURE_TYPE_ED25519) return null;
  const key = ed25519PublicKey(parsed.publicKey);
  return {
    name: parsed.name,
    keyId: parsed.keyId,
    verify: (text, signature) => {
      try {
        return signature.length === 64 && verify(null, text, key, signature);
      } catch {
        return false;
      }
    },
  };
}

export function signatureLine(name: string, keyId: number, signature: Uint8Array): string {
  const bytes = Buffer.alloc(4 + signature.length);
  bytes.writeUInt32BE(keyId >>> 0, 0);
  bytes.set(signature, 4);
  return `${EM_DASH} ${name} ${bytes.toString('base64')}\n`;
}

/** Signs `text` (which must end in a newline and hold no blank line) with each signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n') || text.includes('\n\n') || !isValidUtf8Text(text)) throw new Error('note text must be non-empty lines, each ending in a newline');
  const bytes = Buffer.from(text, 'utf8');
  return `${text}\n${signers.map((s) => signatureLine(s.name, s.keyId, s.sign(bytes))).join('')}`;
}

export class NoteError extends Error {
  override name = 'NoteError';
}

/** Splits a note into its text and signature lines; throws NoteError when malformed. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no blank line before the signatures');
  const text = note.slice(0, split + 1);
  if (!isValidUtf8Text(text)) throw new NoteError('malformed note: control characters in the text');
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed note: too many signatures');
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const m = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`).exec(line);
    const bytes = m ? decodeStrictBase64(m[2]!) : null;
    if (!m || !bytes || bytes.length < 5 || !isValidKeyName(m[1]!)) throw new NoteError(`malformed signature line: ${JSON.stringify(line.slice(0, 120))}`);
    signatures.push({ name: m[1]!, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) });
  }
  return { text, signatures };
}

export interface OpenedNote {
  text: string;
  verified: NoteSignature[];
  unverified: NoteSignature[];
}

/**
 * Verifies a note as Go's note.Open does: signatures by known keys must verify (a bad one is
 * an error, not something to skip), unknown ones are returned unverified, and at least one
 * known signature is required.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const bytes = Buffer.from(text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!v) {
      unverified.push(sig);
      continue;
    }
    if (!v.verify(bytes, sig.signature)) throw new NoteError(`invalid signature by ${sig.name} (key ${sig.keyId.toString(16).padStart(8, '0')})`);
    verified.push(sig);
  }
  if (verified.length === 0) throw new NoteError('no signature by a known key (wrong key, or not signed by this log)');
  return { text, verified, unverified };
}

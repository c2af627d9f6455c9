/**
 * The QUIC versions whose Initial packets the checker can read, and what differs between them:
 * the Initial salt (RFC 9001 §5.2; RFC 9369 §3.3.1 for v2; draft-ietf-quic-tls-23 §5.2 and
 * -29 §5.2 for the drafts still seen in the wild), the HKDF labels (RFC 9369 §3.3.2 renames
 * them for v2) and the long-header type bits that mean Initial (RFC 9369 §3.2 moves them).
 */

export interface QuicVersionSpec {
  /** Short name for logs and metric labels. */
  name: 'v1' | 'v2' | 'draft-29' | 'draft-23' | 'draft-22';
  salt: Uint8Array;
  keyLabel: string;
  ivLabel: string;
  hpLabel: string;
  /** Long-header packet type (bits 4–5 of the first byte) of an Initial. */
  initialType: number;
}

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const V1: QuicVersionSpec = { name: 'v1', salt: hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'), keyLabel: 'quic key', ivLabel: 'quic iv', hpLabel: 'quic hp', initialType: 0 };
const V2: QuicVersionSpec = { name: 'v2', salt: hex('0dede3def700a6db819381be6e269dcbf9bd2ed9'), keyLabel: 'quicv2 key', ivLabel: 'quicv2 iv', hpLabel: 'quicv2 hp', initialType: 1 };
const DRAFT_29: QuicVersionSpec = { ...V1, name: 'draft-29', salt: hex('afbfec289993d24c9e9786f19c6111e04390a899') };
const DRAFT_23: QuicVersionSpec = { ...V1, name: 'draft-23', salt: hex('c3eef712c72ebb5a11a7d2432bb46365bef9f502') };
const DRAFT_22: QuicVersionSpec = { ...V1, name: 'draft-22', salt: hex('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a') };

/** Undefined for versions we cannot read; see {@link unreadableVersionReason}. */
export function quicVersionSpec(version: number): QuicVersionSpec | undefined {
  if (version === QUIC_V1) return V1;
  if (version === QUIC_V2) return V2;
  // IETF drafts are 0xff0000NN. Drafts 29–32 share one salt, 23–28 another.
  if (version >>> 8 === 0xff0000) {
    const draft = version & 0xff;
    if (draft >= 29 && draft <= 32) return DRAFT_29;
    if (draft >= 23 && draft <= 28) return DRAFT_23;
    if (draft === 22) return DRAFT_22;
    return undefined;
  }
  // Facebook's mvfst numbered its draft implementations itself: 0xfaceb001 is draft-22,
  // 0xfaceb002 draft-27, 0xfaceb00e draft-29 (mvfst QuicVersion.h).
  if (version === 0xfaceb001) return DRAFT_22;
  if (version === 0xfaceb002) return DRAFT_23;
  if (version === 0xfaceb00e) return DRAFT_29;
  return undefined;
}

export type UnreadableVersion = 'version_negotiation' | 'reserved_version' | 'gquic' | 'unknown_version';

/**
 * Why a version cannot be read. Version 0 is a Version Negotiation packet, which only servers
 * send (RFC 9000 §17.2.1); 0x?a?a?a?a versions are reserved to exercise negotiation (RFC 9000
 * §15) and the server must answer them with Version Negotiation, so their payload is never
 * the real handshake; Google's QUIC (Q0xx) carries a CHLO, not TLS.
 */
export function unreadableVersionReason(version: number): UnreadableVersion {
  if (version === 0) return 'version_negotiation';
  if ((version & 0x0f0f0f0f) === 0x0a0a0a0a) return 'reserved_version';
  if (version >>> 24 === 0x51 /* Q */ || version >>> 24 === 0x54 /* T */) return 'gquic';
  return 'unknown_version';
}

/**
 * The zone's fixed SOA and NS data, shared by the text export and zone transfers so both
 * forms carry the same apex. Refresh is short because NOTIFY is the fast path and polling the
 * safety net; expire is long so a resolver keeps enforcing for a week if the gateway is gone.
 */
export const RPZ_SOA = {
  mname: 'localhost.',
  rname: 'hostmaster.tizilim.invalid.',
  refresh: 300,
  retry: 60,
  expire: 604_800,
  minimum: 60,
} as const;

export const RPZ_NS = 'localhost.';

/** TTL of every record in the zone (RPZ answers carry it; resolvers cap it). */
export const RPZ_TTL = 60;

/** SOA serials are 32-bit (RFC 1035 §3.3.13); the register version fits for 4 billion entries. */
export function rpzSerial(version: number): number {
  return Math.max(0, version) >>> 0;
}

/** Numbers from RFC 1035, 1995, 1996, 5936 and 8945 that the zone-transfer primary uses by name. */

export const OPCODE_QUERY = 0;
export const OPCODE_NOTIFY = 4;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** RFC 2845/8945: a TSIG failure is answered NOTAUTH with the TSIG error in the record. */
export const RCODE_NOTAUTH = 9;

export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_TSIG = 250;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;

/** TSIG error codes (RFC 8945 §3). */
export const TSIG_BADSIG = 16;
export const TSIG_BADKEY = 17;
export const TSIG_BADTIME = 18;

/** RFC 5936 §2.2: a TCP message is at most 65535 octets; we stay within it, TSIG included. */
export const MAX_XFR_MESSAGE = 65_535;

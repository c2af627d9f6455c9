/** Wire-format numbers from RFC 1035, 6891 and 8914 that the codec needs by name. */

export const HEADER_SIZE = 12;

export const OPCODE_QUERY = 0;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** Extended RCODE 16 (upper 8 bits 1 in the OPT TTL, lower 4 bits 0 in the header). */
export const EXT_RCODE_BADVERS_HIGH = 1;

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;

export const CLASS_IN = 1;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
/** The DO bit sits in the OPT TTL's flags half (RFC 3225). */
export const EDNS_FLAG_DO = 0x8000;

export const EDNS_OPTION_EDE = 15;
export const EDE_CENSORED = 16;

/** Plain DNS over UDP without EDNS (RFC 1035 4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** The 2020 DNS flag day size: fits every path MTU without fragmentation. */
export const OUR_UDP_PAYLOAD = 1232;
export const MAX_MESSAGE = 65535;
export const MAX_NAME_WIRE = 255;

export { parseRegisterDump } from './parse-register-dump.js';
export { groupDumpRows } from './group-dump-rows.js';
export type { DumpDecisionGroup, DumpError, DumpRow, ParsedRegisterDump } from './dump-types.js';
export type { DumpEncoding } from './decode-dump-text.js';

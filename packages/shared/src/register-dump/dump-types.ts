import type { DumpEncoding } from './decode-dump-text.js';

/** One accepted line of a dump. */
export interface DumpRow {
  /** 1-based line number in the file, counting an `Updated:` line. */
  line: number;
  /**
   * The row's IPs, domain and URLs that parseResource accepts, each in the form that parses
   * back to the same rule (`*.` kept for suffixes), without duplicates, in dump order.
   */
  resources: string[];
  authority: string;
  documentNumber: string;
  /** YYYY-MM-DD */
  date: string;
}

export interface DumpError {
  line: number;
  reason: string;
}

export interface ParsedRegisterDump {
  /** Text after `Updated:` on the first line, as written; null when the line is absent. */
  updated: string | null;
  encoding: DumpEncoding;
  rows: DumpRow[];
  errors: DumpError[];
}

/** The rows that cite one decision document. */
export interface DumpDecisionGroup {
  authority: string;
  documentNumber: string;
  date: string;
  lines: number[];
  resources: string[];
}

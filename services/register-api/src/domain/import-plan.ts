import { groupDumpRows, type DumpError, type ParsedRegisterDump } from '@tizilim/shared/register-dump/index';
import { parseResource, type ParsedResource } from '@tizilim/shared/resource/index';
import { guessLegalBasisKind, type LegalBasisKind } from './legal-basis-kind-guess.js';
import { MIN_YEAR, isCleanText } from '../schemas/common-schemas.js';

/** The same limit POST /v1/decisions enforces: an approver must be able to review a decision. */
export const MAX_RESOURCES_PER_DECISION = 1000;
/** The column limits of legal_bases (migration 0001), checked before writing so a group fails with a reason. */
const MAX_AUTHORITY = 300;
const MAX_DOCUMENT_NUMBER = 100;

/** One decision to write: a whole group, or one part of a group over the per-decision limit. */
export interface PlannedDecision {
  part: number;
  parts: number;
  resources: ParsedResource[];
  /** The dump lines whose resources are in this part, ascending. */
  lines: number[];
}

/** The rows citing one document: one legal basis and one or more decisions. */
export interface PlannedGroup {
  authority: string;
  documentNumber: string;
  /** YYYY-MM-DD */
  date: string;
  kind: LegalBasisKind;
  lines: number[];
  decisions: PlannedDecision[];
}

export interface ImportPlan {
  /** Data lines read: every non-empty line after an `Updated:` line, good or bad. */
  rows: number;
  groups: PlannedGroup[];
  /** Bad lines and refused resources, plus groups that cannot become a decision, by line. */
  errors: DumpError[];
}

export interface PlanOptions {
  /** The legal basis kind for every group; guessed from each authority when absent. */
  kind?: LegalBasisKind | undefined;
  /** YYYY-MM-DD; a document dated later cannot have been issued yet. */
  today: string;
}

/** Turns a parsed dump into the decisions to write. Pure: reads nothing, writes nothing. */
export function planImport(dump: ParsedRegisterDump, options: PlanOptions): ImportPlan {
  const errors: DumpError[] = [...dump.errors];
  const rowResources = new Map(dump.rows.map((row) => [row.line, row.resources]));
  const groups: PlannedGroup[] = [];

  for (const group of groupDumpRows(dump.rows)) {
    const refusal = refuseGroup(group.authority, group.documentNumber, group.date, options.today);
    if (refusal) {
      for (const line of group.lines) errors.push({ line, reason: refusal });
      continue;
    }
    groups.push({
      authority: group.authority,
      documentNumber: group.documentNumber,
      date: group.date,
      kind: options.kind ?? guessLegalBasisKind(group.authority),
      lines: group.lines,
      decisions: splitGroup(group.resources, group.lines, rowResources),
    });
  }
  errors.sort((a, b) => a.line - b.line);
  return { rows: countDataLines(dump), groups, errors };
}

function refuseGroup(authority: string, documentNumber: string, date: string, today: string): string | undefined {
  if (authority.length > MAX_AUTHORITY) return `The authority is longer than ${MAX_AUTHORITY} characters; no legal basis can be recorded for it.`;
  if (documentNumber.length > MAX_DOCUMENT_NUMBER) return `The decision number is longer than ${MAX_DOCUMENT_NUMBER} characters; no legal basis can be recorded for it.`;
  // The same rules as POST /v1/legal-bases: no control characters, no year before MIN_YEAR.
  if (!isCleanText(authority)) return 'The authority has control characters (such as NUL) in it; no legal basis can be recorded for it.';
  if (!isCleanText(documentNumber)) return 'The decision number has control characters (such as NUL) in it; no legal basis can be recorded for it.';
  if (date < `${MIN_YEAR}`) return `The decision date ${date} is before ${MIN_YEAR}; no legal basis can be recorded for it.`;
  if (date > today) return `The decision date ${date} is in the future; a document cannot be cited before it is issued.`;
  return undefined;
}

/**
 * Cuts a group's resources into decisions of at most MAX_RESOURCES_PER_DECISION, in dump order,
 * and finds for each part the lines that contributed to it (a line may feed two parts).
 */
function splitGroup(resources: readonly string[], lines: readonly number[], rowResources: ReadonlyMap<number, string[]>): PlannedDecision[] {
  const parts = Math.max(1, Math.ceil(resources.length / MAX_RESOURCES_PER_DECISION));
  const partOf = new Map(resources.map((r, i) => [r, Math.floor(i / MAX_RESOURCES_PER_DECISION)]));
  const decisions: PlannedDecision[] = Array.from({ length: parts }, (_, part) => ({
    part: part + 1,
    parts,
    resources: resources.slice(part * MAX_RESOURCES_PER_DECISION, (part + 1) * MAX_RESOURCES_PER_DECISION).map(toParsedResource),
    lines: [],
  }));
  for (const line of lines) {
    const touched = new Set((rowResources.get(line) ?? []).map((r) => partOf.get(r) ?? 0));
    for (const part of touched) decisions[part]?.lines.push(line);
  }
  return decisions;
}

/** The dump parser keeps resources in a form parseResource gives back unchanged, so this cannot fail. */
function toParsedResource(text: string): ParsedResource {
  const parsed = parseResource(text);
  if (!parsed.ok) throw new Error(`a resource the dump parser accepted no longer parses: ${parsed.reason}`);
  return parsed.resource;
}

/** Every non-empty data line ends up either in a row or in at least one error. */
function countDataLines(dump: ParsedRegisterDump): number {
  const lines = new Set<number>();
  for (const row of dump.rows) lines.add(row.line);
  for (const error of dump.errors) lines.add(error.line);
  return lines.size;
}

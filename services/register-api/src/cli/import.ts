/**
 * Imports a register dump into the register: `npm run import -- <file> [--category X]
 * [--kind K] [--dry-run]`. Sends the file to `${REGISTER_URL}/v1/imports` with the operator
 * token in REGISTER_TOKEN and prints the line-by-line report: bad lines first, then the
 * decisions created with their lines, then a summary.
 * Exit code 0 when the import ran (even with bad rows), 1 when nothing could be imported,
 * 2 for usage or connection errors.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';

const USAGE = 'usage: npm run import -- <dump file> [--category <category>] [--kind court_ruling|prosecutor_recommendation|ministry_order] [--dry-run]\n'
  + 'environment: REGISTER_URL (default http://127.0.0.1:8080), REGISTER_TOKEN (an operator token)';

interface ImportReport {
  importId: string | null;
  dryRun: boolean;
  sha256: string;
  encoding: string;
  updated: string | null;
  rows: number;
  linesImported: number;
  created: number;
  resources: number;
  legalBasesCreated: number;
  legalBasesReused: number;
  errorCount: number;
  errorsOmitted: number;
  decisions: { id: string | null; authority: string; documentNumber: string; date: string; kind: string; part: number; parts: number; resources: number; lines: number[] }[];
  errors: { line: number; reason: string }[];
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof readArguments>;
  try {
    args = readArguments(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  const { file, query } = args;
  const token = process.env.REGISTER_TOKEN;
  if (!token) {
    console.error(`REGISTER_TOKEN is not set\n${USAGE}`);
    return 2;
  }
  let url: URL;
  try {
    url = new URL(`${(process.env.REGISTER_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '')}/v1/imports?${query}`);
  } catch {
    console.error(`REGISTER_URL is not a URL: ${process.env.REGISTER_URL}`);
    return 2;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    console.error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return 2;
  }

  let answer: { status: number; body: string };
  try {
    answer = await post(url, token, bytes);
  } catch (error) {
    console.error(`cannot reach the register at ${url.origin}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return 2;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    console.error(`the register answered ${answer.status} with something that is not JSON`);
    return 1;
  }
  if (answer.status !== 201) {
    const error = (body as { error?: { code?: string; message?: string } }).error;
    console.error(`import refused (${answer.status} ${error?.code ?? ''}): ${error?.message ?? answer.body.slice(0, 500)}`);
    return 1;
  }
  const report = body as ImportReport;
  printReport(report);
  return report.created > 0 || (report.dryRun && report.decisions.length > 0) ? 0 : 1;
}

function readArguments(argv: string[]): { file: string; query: URLSearchParams } | 'help' {
  const parsed = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { category: { type: 'string' }, kind: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (parsed.values.help) return 'help';
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw new Error('no dump file given');
  if (extra.length > 0) throw new Error(`one dump file at a time; also given: ${extra.join(' ')}`);
  const query = new URLSearchParams();
  if (parsed.values.category) query.set('category', parsed.values.category);
  if (parsed.values.kind) query.set('kind', parsed.values.kind);
  if (parsed.values['dry-run']) query.set('dryRun', 'true');
  return { file, query };
}

/**
 * node:http rather than fetch: a large import can take longer than fetch's fixed five-minute
 * wait for response headers, and here the only sensible timeout is none.
 */
function post(url: URL, token: string, bytes: Buffer): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': bytes.length, accept: 'application/json' },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Bad lines first (what needs fixing), then what landed, then the totals. */
function printReport(report: ImportReport): void {
  const out: string[] = [];
  if (report.errorCount > 0) {
    out.push(`Bad lines (${report.errorCount}):`);
    for (const error of report.errors) out.push(`  line ${error.line}: ${error.reason}`);
    if (report.errorsOmitted > 0) {
      out.push(`  … and ${report.errorsOmitted} more${report.importId ? `: GET /v1/imports/${report.importId}?errorsFrom=${report.errors.length}` : ''}`);
    }
    out.push('');
  }
  out.push(report.dryRun ? `Decisions that would be created (${report.decisions.length}):` : `Decisions created, pending approval (${report.created}):`);
  for (const d of report.decisions) {
    const part = d.parts > 1 ? ` part ${d.part}/${d.parts}` : '';
    out.push(`  ${d.id ?? '(dry run)'}  ${d.authority}, ${d.documentNumber}, ${d.date} [${d.kind}]${part}: ${d.resources} resources, lines ${lineRanges(d.lines)}`);
  }
  out.push('');
  out.push(report.dryRun ? 'Dry run: nothing was written.' : `Import ${report.importId}`);
  out.push(`  file: sha256 ${report.sha256}, ${report.encoding}${report.updated ? `, updated ${report.updated}` : ''}`);
  out.push(`  rows read: ${report.rows}; lines imported: ${report.linesImported}; bad lines and refused resources: ${report.errorCount}`);
  out.push(`  decisions: ${report.dryRun ? report.decisions.length : report.created}; resources: ${report.resources}; legal bases created: ${report.legalBasesCreated}, reused: ${report.legalBasesReused}`);
  console.log(out.join('\n'));
}

/** `2-8, 10, 12-13`: a decision's lines are mostly runs. */
function lineRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[j]! + 1) j++;
    parts.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

process.exitCode = await main(process.argv.slice(2));

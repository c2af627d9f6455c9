import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * What a witness remembers per log (by origin): the latest checkpoint it verified, and the
 * evidence of every misbehaviour it saw. Written atomically (temporary file + rename) before
 * the witness answers, as tlog-witness requires.
 */
export interface WitnessLogState {
  size: number;
  /** base64 */
  root: string;
  checkpoint: string;
}

export interface WitnessAlarm {
  at: string;
  origin: string;
  kind: 'rollback' | 'fork';
  message: string;
  /** the offending signed checkpoint, as evidence */
  checkpoint: string;
}

export interface WitnessStateFile {
  logs: Record<string, WitnessLogState>;
  alarms: WitnessAlarm[];
}

export async function loadWitnessState(path: string): Promise<WitnessStateFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<WitnessStateFile>;
    if (typeof parsed.logs !== 'object' || parsed.logs === null) throw new Error('no "logs" object');
    return { logs: parsed.logs, alarms: Array.isArray(parsed.alarms) ? parsed.alarms : [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { logs: {}, alarms: [] };
    throw new Error(`witness state file ${path} is unreadable: ${(error as Error).message}`);
  }
}

export async function saveWitnessState(path: string, state: WitnessStateFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}

import type { ChildProcess } from 'node:child_process';

/**
 * The URL a register-child.ts process prints once it listens (`REGISTER_URL …` on stdout);
 * rejects when it exits first or does not print it within `timeoutMs`.
 */
export function registerChildUrl(child: ChildProcess, name: string, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /REGISTER_URL (\S+)/.exec(buf);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code} before it was ready`)); });
  });
}

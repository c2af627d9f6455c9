import { pino, type Logger } from 'pino';

/** JSON lines on stdout; the worker id tells cluster processes apart. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'filter-gateway', pid: process.pid, ...bindings } });
}

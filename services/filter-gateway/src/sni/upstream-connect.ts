import { connect, type Socket } from 'node:net';

/**
 * Connects to the first of `hosts` that answers on `port`, each try bounded by `timeoutMs`.
 * Calls back exactly once; `isAbandoned` lets the caller stop trying when its client left.
 */
export function connectFirst(
  hosts: readonly string[], port: number, timeoutMs: number,
  isAbandoned: () => boolean,
  done: (err: Error | undefined, socket: Socket | undefined) => void,
): void {
  let i = 0;
  let lastError: Error | undefined;
  const next = (): void => {
    if (isAbandoned()) { done(new Error('client left'), undefined); return; }
    const host = hosts[i++];
    if (host === undefined) { done(lastError ?? new Error('no address'), undefined); return; }
    const s = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const onError = (err: Error): void => { cleanup(); s.destroy(); lastError = err; next(); };
    const onTimeout = (): void => onError(new Error(`connect to ${host}:${port} timed out`));
    const onConnect = (): void => { cleanup(); s.setTimeout(0); done(undefined, s); };
    const cleanup = (): void => { s.off('error', onError); s.off('timeout', onTimeout); s.off('connect', onConnect); };
    s.setTimeout(timeoutMs);
    s.once('error', onError);
    s.once('timeout', onTimeout);
    s.once('connect', onConnect);
  };
  next();
}

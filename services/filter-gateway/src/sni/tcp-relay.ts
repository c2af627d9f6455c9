import type { Socket } from 'node:net';

/**
 * Relays bytes both ways between an accepted client and the upstream it asked for.
 * `pipe` gives backpressure (a slow reader pauses the fast writer's socket). Both sockets are
 * half-open capable: one side's FIN is passed on as a FIN and the other direction keeps
 * flowing until it ends too, then each socket destroys itself. An abortive close (error/RST)
 * on one side destroys the other, since nothing more can be delivered. Each socket has its
 * own idle timer, reset by its reads and writes, so a transfer in either direction keeps both
 * alive and a silent pair is cut.
 */
export function relay(client: Socket, upstream: Socket, replay: readonly Buffer[], idleTimeoutMs: number, onDone: () => void): void {
  if (replay.length === 1) upstream.write(replay[0]!);
  else if (replay.length > 1) upstream.write(Buffer.concat(replay));
  const kill = (): void => { client.destroy(); upstream.destroy(); };
  // 'close' (with hadError) does the work; these only keep an error from being unhandled.
  client.on('error', noop);
  upstream.on('error', noop);
  client.setTimeout(idleTimeoutMs, kill);
  upstream.setTimeout(idleTimeoutMs, kill);
  client.on('close', (hadError: boolean) => { if (hadError) upstream.destroy(); else upstream.end(); });
  upstream.on('close', (hadError: boolean) => { if (hadError) client.destroy(); else client.end(); });
  let open = 2;
  const closed = (): void => { if (--open === 0) onDone(); };
  client.once('close', closed);
  upstream.once('close', closed);
  client.pipe(upstream);
  upstream.pipe(client);
}

function noop(): void {}

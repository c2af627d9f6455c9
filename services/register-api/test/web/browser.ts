import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium (never a downloaded browser), headless, without anything that phones home:
 * the tests talk to 127.0.0.1 only.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Starts the test register's app on an ephemeral loopback port; returns its base URL. */
export async function listen(app: { listen(opts: { host: string; port: number }): Promise<string> }): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

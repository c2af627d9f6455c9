import { LogSourceError } from '../public-log/log-source-error.js';

/**
 * HTTP reads of a register's transparency log. A failure to obtain something is a
 * LogSourceError (exit 2, "could not verify"), never a verdict on the log.
 */
export class TlogHttp {
  constructor(private readonly baseUrl: string) {}

  url(path: string): URL {
    try {
      return new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    } catch {
      throw new LogSourceError(`not a valid URL: ${this.baseUrl}`);
    }
  }

  /** The body, or null on 404. */
  async bytes(path: string): Promise<Buffer | null> {
    const url = this.url(path);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : error instanceof Error ? `: ${error.message}` : '';
      throw new LogSourceError(`GET ${url.href} failed${cause}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
    }
    return Buffer.from(await response.arrayBuffer());
  }

  async text(path: string): Promise<string | null> {
    const body = await this.bytes(path);
    return body === null ? null : body.toString('utf8');
  }

  async json(path: string): Promise<unknown> {
    const body = await this.text(path);
    if (body === null) throw new LogSourceError(`GET ${this.url(path).href} answered 404`);
    try {
      return JSON.parse(body);
    } catch {
      throw new LogSourceError(`GET ${this.url(path).href}: the answer is not JSON`);
    }
  }
}

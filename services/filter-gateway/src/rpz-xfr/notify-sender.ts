import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { CLASS_IN, FLAG_AA, OPCODE_NOTIFY, TYPE_SOA } from './xfr-constants.js';
import { XfrMessageWriter } from './xfr-message-writer.js';
import type { XfrMetrics } from './xfr-metrics.js';
import { signRequest } from './tsig.js';
import type { TsigKey } from './tsig-keys.js';
import { nameToWire } from './wire-names.js';

/** A secondary to tell about new versions: `host:port`, optionally signing with a TSIG key. */
export interface NotifyTarget {
  host: string;
  port: number;
  key?: TsigKey | undefined;
}

export interface NotifyOptions {
  /** Attempts per version and target with backoff; after them, one every `slowIntervalMs`. */
  attempts: number;
  /** Wait for the first answer; doubled after each silent attempt (RFC 1996 §3.6 retransmission). */
  firstTimeoutMs: number;
  /**
   * Once the attempts are spent, the NOTIFY is sent again this often until the secondary
   * answers or a newer serial replaces it. A secondary that was down through the backoff
   * (BIND's own refresh can be hours) then hears of the version within this interval of
   * coming back, instead of at its next refresh.
   */
  slowIntervalMs?: number;
}

const DEFAULT_SLOW_INTERVAL_MS = 60_000;

interface Pending {
  id: number;
  serial: number;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * NOTIFY (RFC 1996) to each secondary on every new serial, over UDP, retried with backoff
 * until the secondary answers. A newer serial replaces a pending one: a secondary that was
 * slow to answer is told about the latest version, not every version in between.
 */
export class NotifySender {
  readonly #pending = new Map<NotifyTarget, Pending>();
  readonly #sockets: { udp4?: dgram.Socket; udp6?: dgram.Socket } = {};
  readonly #question: Buffer;
  #closed = false;

  constructor(
    origin: string,
    private readonly targets: readonly NotifyTarget[],
    private readonly opts: NotifyOptions,
    private readonly metrics: XfrMetrics,
    private readonly log: Logger,
    /** Send from the listener's address: secondaries accept NOTIFY only from their primary's address. */
    private readonly localAddress?: string,
  ) {
    this.#question = Buffer.concat([nameToWire(origin), Buffer.from([0, TYPE_SOA, 0, CLASS_IN])]);
  }

  notify(serial: number): void {
    if (this.#closed) return;
    for (const t of this.targets) {
      const old = this.#pending.get(t);
      if (old?.timer) clearTimeout(old.timer);
      const p: Pending = { id: randomInt(0, 65536), serial, attempt: 0, timer: undefined };
      this.#pending.set(t, p);
      void this.#send(t, p);
    }
  }

  #socket(host: string): dgram.Socket {
    const type = isIP(host) === 6 ? 'udp6' : 'udp4';
    let s = this.#sockets[type];
    if (!s) {
      s = dgram.createSocket(type);
      s.on('message', (m, rinfo) => this.#answer(m, rinfo));
      s.on('error', (err) => this.log.warn({ err }, 'NOTIFY socket error'));
      s.unref();
      const family = isIP(this.localAddress ?? '');
      if (this.localAddress && family === (type === 'udp6' ? 6 : 4) && this.localAddress !== '0.0.0.0' && this.localAddress !== '::') {
        s.bind(0, this.localAddress);
      }
      this.#sockets[type] = s;
    }
    return s;
  }

  async #send(t: NotifyTarget, p: Pending): Promise<void> {
    if (this.#closed || this.#pending.get(t) !== p) return;
    p.attempt++;
    let message = await this.#message(p);
    if (t.key) message = signRequest(message, t.key, Math.floor(Date.now() / 1000)).message;
    this.#socket(t.host).send(message, t.port, t.host, (err) => {
      if (err) this.log.warn({ err, target: `${t.host}:${t.port}` }, 'NOTIFY could not be sent');
    });
    const slow = p.attempt > this.opts.attempts;
    const wait = slow ? (this.opts.slowIntervalMs ?? DEFAULT_SLOW_INTERVAL_MS) : this.opts.firstTimeoutMs * 2 ** (p.attempt - 1);
    p.timer = setTimeout(() => {
      if (this.#pending.get(t) !== p) return;
      if (p.attempt === this.opts.attempts) {
        this.metrics.notifies.inc({ result: 'unanswered' });
        this.log.warn({ target: `${t.host}:${t.port}`, serial: p.serial, attempts: p.attempt, everyMs: this.opts.slowIntervalMs ?? DEFAULT_SLOW_INTERVAL_MS },
          'NOTIFY unanswered; sending it again at a slow pace until the secondary answers or a newer serial replaces it');
      } else {
        this.metrics.notifies.inc({ result: 'retry' });
      }
      void this.#send(t, p);
    }, wait);
    p.timer.unref();
  }

  /** NOTIFY with the new SOA in the answer section (RFC 1996 §3.7), built by the transfer writer. */
  async #message(p: Pending): Promise<Buffer> {
    let out: Buffer | undefined;
    const w = new XfrMessageWriter(p.id, this.#question, this.#question.length - 4, (m) => { out = Buffer.from(m); }, false);
    await w.soa(p.serial);
    await w.end();
    // The writer answers; a NOTIFY is a request: clear QR, set the opcode, keep AA.
    out!.writeUInt16BE((OPCODE_NOTIFY << 11) | FLAG_AA, 2);
    return out!;
  }

  #answer(m: Buffer, rinfo: dgram.RemoteInfo): void {
    if (m.length < 12 || (m[2]! & 0x80) === 0 || ((m[2]! >> 3) & 0x0f) !== OPCODE_NOTIFY) return;
    const id = m.readUInt16BE(0);
    for (const [t, p] of this.#pending) {
      if (p.id !== id || t.port !== rinfo.port || (isIP(t.host) !== 0 && t.host !== rinfo.address)) continue;
      if (p.timer) clearTimeout(p.timer);
      this.#pending.delete(t);
      const rcode = m[3]! & 0x0f;
      this.metrics.notifies.inc({ result: rcode === 0 ? 'acked' : 'refused' });
      if (rcode !== 0) this.log.warn({ target: `${t.host}:${t.port}`, serial: p.serial, rcode }, 'secondary refused our NOTIFY');
      else this.log.debug({ target: `${t.host}:${t.port}`, serial: p.serial }, 'NOTIFY acknowledged');
      return;
    }
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
    this.#sockets.udp4?.close();
    this.#sockets.udp6?.close();
  }
}

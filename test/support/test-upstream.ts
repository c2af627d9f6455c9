import { createSocket, type Socket } from 'node:dgram';

/**
 * A tiny authoritative stand-in for the resolvers a gateway forwards to: answers every A
 * question with one address and counts what it was asked. Loopback only.
 */
export class TestUpstream {
  readonly questions: string[] = [];
  #socket: Socket | undefined;

  constructor(private readonly address = [192, 0, 2, 10]) {}

  async start(): Promise<number> {
    const socket = createSocket('udp4');
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12) return;
      let i = 12;
      const labels: string[] = [];
      while (i < msg.length && msg[i] !== 0) {
        labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString('latin1'));
        i += msg[i]! + 1;
      }
      const qEnd = i + 5;
      this.questions.push(labels.join('.').toLowerCase());
      const header = Buffer.from(msg.subarray(0, 12));
      header[2] = 0x81 | (msg[2]! & 0x01); // QR, RD copied
      header[3] = 0x80; // RA, NOERROR
      header.writeUInt16BE(1, 4);
      const qtype = msg.readUInt16BE(i + 1);
      header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
      header.writeUInt16BE(0, 8);
      header.writeUInt16BE(0, 10);
      const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...this.address]);
      socket.send(Buffer.concat([header, msg.subarray(12, qEnd), ...(qtype === 1 ? [answer] : [])]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket.address().port;
  }

  close(): void {
    this.#socket?.close();
  }
}

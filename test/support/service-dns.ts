import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';

const TYPE_A = 1;
const TYPE_SRV = 33;
const CLASS_IN = 1;
const NXDOMAIN = 3;
/** Seconds: HAProxy asks again every second anyway. */
const TTL = 1;
const DOMAIN = 'replicas.test';

/**
 * A DNS server on 127.0.0.1 that plays Docker's for a Compose service: one
 * name lists the running replicas, and changes as they come and go. Docker
 * answers A records (one address per container, all on port 3000); local
 * processes share one address, so here the name is an SRV record, one entry
 * per replica's port, each target resolving to 127.0.0.1. HAProxy's
 * `server-template … resolvers` takes either.
 */
export class ServiceDns {
  /** The SRV name to resolve, for HAProxy's server-template. */
  readonly name = `_api._tcp.${DOMAIN}`;
  private readonly ports = new Set<number>();

  private constructor(private readonly socket: Socket) {
    socket.on('message', (query, peer) => this.answer(query, peer));
  }

  static async start(): Promise<ServiceDns> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new ServiceDns(socket);
  }

  /** Where to send queries: `127.0.0.1:port`. */
  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  add(port: number): void {
    this.ports.add(port);
  }

  remove(port: number): void {
    this.ports.delete(port);
  }

  close(): void {
    this.socket.close();
  }

  private answer(query: Buffer, peer: RemoteInfo): void {
    let question: Question;
    try {
      question = readQuestion(query);
    } catch {
      return;
    }
    const answers: Buffer[] = [];
    const additional: Buffer[] = [];
    let rcode = 0;
    const target = /^replica-(\d+)\./.exec(question.name);
    if (question.name === this.name) {
      if (question.type === TYPE_SRV) {
        for (const port of this.ports) {
          const host = encodeName(`replica-${port}.${DOMAIN}`);
          answers.push(
            record(POINTER_TO_QUESTION, TYPE_SRV, srvData(port, host)),
          );
          additional.push(record(host, TYPE_A, LOOPBACK));
        }
      }
    } else if (target && this.ports.has(Number(target[1]))) {
      if (question.type === TYPE_A) {
        answers.push(record(POINTER_TO_QUESTION, TYPE_A, LOOPBACK));
      }
    } else {
      rcode = NXDOMAIN;
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    // A response (QR), authoritative (AA), recursion desired as asked (RD),
    // recursion available (RA), and the response code.
    header.writeUInt16BE(
      0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x80 | rcode,
      2,
    );
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(additional.length, 10);
    this.socket.send(
      Buffer.concat([header, question.bytes, ...answers, ...additional]),
      peer.port,
      peer.address,
    );
  }
}

interface Question {
  readonly name: string;
  readonly type: number;
  /** The question section as received, to echo in the response. */
  readonly bytes: Buffer;
}

/** The first question of a query (name, type, class), names lower-cased. */
function readQuestion(query: Buffer): Question {
  const labels: string[] = [];
  let offset = 12;
  for (let length = query[offset]; length !== 0; length = query[offset]) {
    if (length === undefined || length > 63) throw new Error('bad name');
    labels.push(query.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  const end = offset + 1 + 4;
  if (end > query.length) throw new Error('short query');
  return {
    name: labels.join('.').toLowerCase(),
    type: query.readUInt16BE(offset + 1),
    bytes: query.subarray(12, end),
  };
}

const POINTER_TO_QUESTION = Buffer.from([0xc0, 12]);
const LOOPBACK = Buffer.from([127, 0, 0, 1]);

function encodeName(name: string): Buffer {
  return Buffer.concat([
    ...name
      .split('.')
      .map((label) =>
        Buffer.concat([
          Buffer.from([label.length]),
          Buffer.from(label, 'latin1'),
        ]),
      ),
    Buffer.from([0]),
  ]);
}

function record(name: Buffer, type: number, data: Buffer): Buffer {
  const fields = Buffer.alloc(10);
  fields.writeUInt16BE(type, 0);
  fields.writeUInt16BE(CLASS_IN, 2);
  fields.writeUInt32BE(TTL, 4);
  fields.writeUInt16BE(data.length, 8);
  return Buffer.concat([name, fields, data]);
}

/** Priority 0 and the same weight for every replica, as Docker's round robin. */
function srvData(port: number, target: Buffer): Buffer {
  const fields = Buffer.alloc(6);
  fields.writeUInt16BE(0, 0);
  fields.writeUInt16BE(10, 2);
  fields.writeUInt16BE(port, 4);
  return Buffer.concat([fields, target]);
}

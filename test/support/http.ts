import { request as httpRequest } from 'node:http';

export interface Reply<Body = any> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  readonly body: Body;
  readonly text: string;
  /** Milliseconds from sending the request to reading the whole body. */
  readonly ms: number;
}

export interface SendOptions {
  /** Serialized as JSON with a JSON content type. */
  readonly json?: unknown;
  /** Sent as is. */
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export interface VerbatimOptions {
  /** Sent as is: a string as UTF-8, bytes as they are. */
  readonly body?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  /**
   * The address to connect from: any of 127.0.0.0/8 makes a client at
   * another address of this machine.
   */
  readonly localAddress?: string;
}

/** A small HTTP client over real connections (fetch) for one base URL. */
export class Api {
  constructor(readonly baseUrl: string) {}

  async send(
    method: string,
    path: string,
    options: SendOptions = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    const started = performance.now();
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body,
      // Sends the headers as given. By default fetch adds `Cache-Control:
      // no-cache` to a request with If-None-Match or If-Match (the Fetch
      // standard's "no-store" mode), which the service reads as a request to
      // bypass its cache. Node's fetch has no HTTP cache to force.
      cache: 'force-cache',
    });
    const text = await response.text();
    return toReply(
      response.status,
      response.headers,
      text,
      performance.now() - started,
    );
  }

  /**
   * Like send, but puts `target` on the request line exactly as given, for
   * odd paths: fetch would resolve `..` segments and re-encode the rest.
   * `target` may hold only visible ASCII; percent-encode everything else.
   */
  sendVerbatim(
    method: string,
    target: string,
    options: VerbatimOptions = {},
  ): Promise<Reply> {
    const { hostname, port } = new URL(this.baseUrl);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        // A connection each: the server closes some after refusing a request.
        {
          hostname,
          port,
          method,
          path: target,
          headers: options.headers,
          localAddress: options.localAddress,
          agent: false,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const item of [value ?? []].flat()) {
                headers.append(name, item);
              }
            }
            resolve(
              toReply(
                incoming.statusCode!,
                headers,
                Buffer.concat(chunks).toString('utf8'),
                performance.now() - started,
              ),
            );
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });
  }

  get(path: string, headers?: Record<string, string>) {
    return this.send('GET', path, { headers });
  }

  post(path: string, json: unknown, headers?: Record<string, string>) {
    return this.send('POST', path, { json, headers });
  }

  put(path: string, json: unknown, headers?: Record<string, string>) {
    return this.send('PUT', path, { json, headers });
  }

  patch(path: string, json: unknown, headers?: Record<string, string>) {
    return this.send('PATCH', path, { json, headers });
  }

  delete(path: string, headers?: Record<string, string>) {
    return this.send('DELETE', path, { headers });
  }
}

function toReply(
  status: number,
  headers: Headers,
  text: string,
  ms: number,
): Reply {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, headers, body, text, ms };
}

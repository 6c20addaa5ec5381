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
    });
    const text = await response.text();
    const ms = performance.now() - started;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: response.status,
      headers: response.headers,
      body: parsed,
      text,
      ms,
    };
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

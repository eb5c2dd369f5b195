import * as http from 'http';
import { AddressInfo } from 'net';

/** One S3 request as it reached the server. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  /** `x-amz-copy-source` (CopyObject, UploadPartCopy): a server-side copy. */
  readonly copySource?: string;
  /** Bytes of the request body on the wire. */
  readonly bodyBytes: number;
}

/** What the requests of a run add up to. */
export interface RequestSummary {
  readonly requests: number;
  readonly byMethod: { [method: string]: number };
  readonly copies: number;
  readonly bytesUploaded: number;
}

/**
 * A plain HTTP proxy in front of the local S3 server that records every request (method, URL,
 * copy header, body size) before forwarding it unchanged, so a test counts what S3A really sends.
 */
export class CountingProxy {
  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (`http://127.0.0.1:<port>`). */
  public static async start(target: string): Promise<CountingProxy> {
    const proxy = new CountingProxy(new URL(target));
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;

  private constructor(private readonly target: URL) {
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.keepAliveTimeout = 60_000;
  }

  /** `http://127.0.0.1:<port>`: use as the S3 endpoint. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Forgets what was recorded so far. */
  public reset(): void {
    this.requests.length = 0;
  }

  /** Counts by method, server-side copies and uploaded bytes of the recorded requests. */
  public summary(): RequestSummary {
    const byMethod: { [method: string]: number } = {};
    for (const r of this.requests) byMethod[r.method] = (byMethod[r.method] ?? 0) + 1;
    return {
      requests: this.requests.length,
      byMethod,
      copies: this.requests.filter(r => r.copySource !== undefined).length,
      bytesUploaded: this.requests.reduce((n, r) => n + r.bodyBytes, 0),
    };
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    let bodyBytes = 0;
    const upstream = http.request({
      host: this.target.hostname,
      port: this.target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    }, answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', err => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.on('data', (chunk: Buffer) => { bodyBytes += chunk.length; });
    req.on('end', () => {
      const copy = req.headers['x-amz-copy-source'];
      this.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        copySource: Array.isArray(copy) ? copy.join(',') : copy,
        bodyBytes,
      });
    });
    req.pipe(upstream);
  }
}

import * as http from 'http';
import { ForwardingProxy } from './forwarding-proxy';

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
 * A proxy in front of the local S3 server that records every request (method, URL, copy header,
 * body size) and forwards it unchanged, so a test counts what S3A really sends.
 */
export class CountingProxy extends ForwardingProxy {
  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `target` (`http://127.0.0.1:<port>`). */
  public static async start(target: string): Promise<CountingProxy> {
    const proxy = new CountingProxy(new URL(target));
    await proxy.listen();
    return proxy;
  }

  public readonly requests: RecordedRequest[] = [];

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

  protected intercept(req: http.IncomingMessage): boolean {
    let bodyBytes = 0;
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
    return false; // counted; forwarded as it is
  }
}

import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * A plain HTTP proxy in front of the local S3 server that forwards every request unchanged, except
 * the first PUT whose path matches `hold`: that one is never forwarded nor answered, so the writer
 * hangs in that request (a test then kills it at exactly that point, e.g. a table format's commit).
 */
export class HoldingProxy {
  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `target`. */
  public static async start(target: string, hold: RegExp): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(new URL(target), hold);
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The path of the held request, once one arrived. */
  public held: string | undefined;
  private readonly server: http.Server;
  private readonly heldRequests: http.IncomingMessage[] = [];

  private constructor(private readonly target: URL, private readonly hold: RegExp) {
    this.server = http.createServer((req, res) => this.forward(req, res));
  }

  /** `http://127.0.0.1:<port>`: use as the S3 endpoint. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    for (const r of this.heldRequests) r.destroy();
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.held === undefined && req.method === 'PUT' && this.hold.test(req.url ?? '')) {
      this.held = req.url;
      this.heldRequests.push(req);
      req.resume(); // read the body, answer nothing
      return;
    }
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
    req.pipe(upstream);
  }
}

import * as http from 'http';
import { AddressInfo } from 'net';

/**
 * A plain HTTP proxy on a free port of 127.0.0.1 that forwards every request unchanged to the local
 * S3 server. Subclasses watch or stop requests in `intercept`, so a test sees exactly what S3A sends.
 */
export abstract class ForwardingProxy {
  protected readonly server: http.Server;

  protected constructor(private readonly target: URL) {
    this.server = http.createServer((req, res) => {
      if (!this.intercept(req, res)) this.forward(req, res);
    });
    this.server.keepAliveTimeout = 60_000;
  }

  /** `http://127.0.0.1:<port>`: use as the S3 endpoint. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  protected async listen(): Promise<void> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** Sees each request first: return true when it was handled here and must not be forwarded. */
  protected abstract intercept(req: http.IncomingMessage, res: http.ServerResponse): boolean;

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
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

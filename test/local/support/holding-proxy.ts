import * as http from 'http';
import { ForwardingProxy } from './forwarding-proxy';

/**
 * A proxy in front of the local S3 server that forwards every request unchanged, except the first
 * PUT whose path matches `hold`: that one is never forwarded nor answered, so the writer hangs in
 * that request (a test then kills it at exactly that point, e.g. a table format's commit).
 */
export class HoldingProxy extends ForwardingProxy {
  /** Starts the proxy on a free port of 127.0.0.1, forwarding to `target`. */
  public static async start(target: string, hold: RegExp): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(new URL(target), hold);
    await proxy.listen();
    return proxy;
  }

  /** The path of the held request, once one arrived. */
  public held: string | undefined;
  private readonly heldRequests: http.IncomingMessage[] = [];

  private constructor(target: URL, private readonly hold: RegExp) {
    super(target);
  }

  public async stop(): Promise<void> {
    for (const r of this.heldRequests) r.destroy();
    await super.stop();
  }

  protected intercept(req: http.IncomingMessage): boolean {
    if (this.held !== undefined || req.method !== 'PUT' || !this.hold.test(req.url ?? '')) return false;
    this.held = req.url;
    this.heldRequests.push(req);
    req.resume(); // read the body, answer nothing
    return true;
  }
}

import * as http from 'http';
import * as net from 'net';
import { refusalOfStartJobRun } from '../support/emr-serverless-service-rules';

/** One request that passed through the proxy. */
export interface ProxiedRequest {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** The JSON body, when there was one. */
  readonly body?: any;
  /** What the client got back. */
  status?: number;
  /** Whether the proxy answered itself instead of the upstream server. */
  injected?: boolean;
  /** Why the proxy refused it as EMR Serverless would, when it did. */
  refused?: string;
}

/** A fault to inject into the next `times` requests of an operation. */
export interface Fault {
  readonly operation: string;
  readonly times: number;
  readonly status: number;
  /** Sent as the `x-amzn-errortype` header (how restJson services name their errors). */
  readonly errorType?: string;
  readonly body?: string;
  /** Forward the request first, then answer with the fault: the request took effect but its response was lost. */
  readonly afterForwarding?: boolean;
}

/** Rewrites a successful JSON response of an operation; `count` is 1 for the first such response. */
export type ResponseRewrite = (body: any, count: number) => any;

/** The EMR Serverless REST operation of a request, from its method and path. */
export function operationOf(method: string, path: string): string {
  const p = path.split('?')[0];
  if (/^\/applications\/[^/]+\/jobruns\/[^/]+\/dashboard$/.test(p)) return 'GetDashboardForJobRun';
  if (/^\/applications\/[^/]+\/jobruns\/[^/]+$/.test(p)) return method === 'DELETE' ? 'CancelJobRun' : 'GetJobRun';
  if (/^\/applications\/[^/]+\/jobruns$/.test(p)) return method === 'POST' ? 'StartJobRun' : 'ListJobRuns';
  if (/^\/applications\/?$/.test(p)) return method === 'POST' ? 'CreateApplication' : 'ListApplications';
  if (/^\/applications\/[^/]+$/.test(p)) return method === 'GET' ? 'GetApplication' : `${method} application`;
  return `${method} ${p}`;
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of a local API server: records every request, injects
 * throttling and server errors, and rewrites responses (moto finishes every run at once, so tests
 * script the states a real run goes through, or turn a run FAILED).
 *
 * It also stands in for the checks moto lacks: a StartJobRun that EMR Serverless would refuse (a
 * dynamic allocation start count above the cap, a worker size or disk the service does not offer, a
 * field over its size limit; test/support/emr-serverless-service-rules.ts) is answered with HTTP 400
 * ValidationException, as the service answers it, and never reaches moto.
 */
export class FaultProxy {
  /** Starts a proxy to `upstream` (e.g. `http://127.0.0.1:5000`). */
  public static async start(upstream: string, options: { serviceRules?: boolean } = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(upstream), options.serviceRules ?? true);
    await new Promise<void>(resolve => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  public readonly requests: ProxiedRequest[] = [];
  private readonly server: http.Server;
  private faults: Fault[] = [];
  private readonly rewrites = new Map<string, ResponseRewrite>();
  private readonly counts = new Map<string, number>();

  private constructor(private readonly upstream: URL, private readonly serviceRules: boolean) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(err => {
        res.writeHead(599);
        res.end(String(err));
      });
    });
  }

  /** The proxy's URL: the endpoint to give the client. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Injects a fault. */
  public inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  /** Rewrites the successful responses of an operation from now on. */
  public rewrite(operation: string, rewrite: ResponseRewrite): void {
    this.rewrites.set(operation, rewrite);
    this.counts.set(operation, 0);
  }

  /** Clears faults, rewrites and the record. */
  public clear(): void {
    this.faults = [];
    this.rewrites.clear();
    this.counts.clear();
    this.requests.length = 0;
  }

  /** The recorded requests of one operation. */
  public of(operation: string): ProxiedRequest[] {
    return this.requests.filter(r => r.operation === operation);
  }

  public close(): Promise<void> {
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const operation = operationOf(req.method ?? 'GET', path);
    let body: any;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const record: ProxiedRequest = { operation, method: req.method ?? 'GET', path, body };
    this.requests.push(record);

    const refusal = this.serviceRules && operation === 'StartJobRun' ? refusalOfStartJobRun(body) : undefined;
    if (refusal !== undefined) {
      record.refused = refusal;
      return this.answerWithFault({ operation, times: 1, status: 400, errorType: 'ValidationException', body: JSON.stringify({ message: refusal }) }, record, res);
    }
    const faultIndex = this.faults.findIndex(f => f.operation === operation && f.times > 0);
    const fault = faultIndex === -1 ? undefined : this.faults[faultIndex];
    if (fault && !fault.afterForwarding) {
      this.faults[faultIndex] = { ...fault, times: fault.times - 1 };
      return this.answerWithFault(fault, record, res);
    }
    const upstream = await this.forward(req, raw);
    if (fault) {
      this.faults[faultIndex] = { ...fault, times: fault.times - 1 };
      return this.answerWithFault(fault, record, res);
    }
    let responseBody = upstream.body;
    const rewrite = this.rewrites.get(operation);
    if (rewrite && upstream.status === 200) {
      const count = (this.counts.get(operation) ?? 0) + 1;
      this.counts.set(operation, count);
      responseBody = Buffer.from(JSON.stringify(rewrite(JSON.parse(upstream.body.toString('utf8')), count)));
    }
    const headers = { ...upstream.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    record.status = upstream.status;
    res.writeHead(upstream.status, { ...headers, 'content-length': String(responseBody.length) });
    res.end(responseBody);
  }

  private answerWithFault(fault: Fault, record: ProxiedRequest, res: http.ServerResponse): void {
    record.status = fault.status;
    record.injected = true;
    const body = fault.body ?? JSON.stringify({ message: `injected ${fault.status}` });
    res.writeHead(fault.status, {
      'content-type': 'application/json',
      ...(fault.errorType ? { 'x-amzn-errortype': fault.errorType } : {}),
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  }

  private forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstreamReq = http.request({
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      }, upstreamRes => {
        const chunks: Buffer[] = [];
        upstreamRes.on('data', c => chunks.push(c as Buffer));
        upstreamRes.on('end', () => resolve({ status: upstreamRes.statusCode ?? 502, headers: upstreamRes.headers, body: Buffer.concat(chunks) }));
        upstreamRes.on('error', reject);
      });
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });
  }
}

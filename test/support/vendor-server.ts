import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type VendorBehaviour =
  | { kind: 'json'; status?: number; body: unknown }
  | { kind: 'status'; status: number }
  /** Answers after `ms` (longer than the adapter's timeout: a timeout). */
  | { kind: 'slow'; ms: number; body: unknown }
  /** Drops the connection without answering. */
  | { kind: 'hangup' };

/**
 * A small local HTTP server standing in for a vendor (SMS gateway, push service, risk API): it records
 * every request and answers as told, including slowly, with 5xx, or not at all.
 */
export class VendorServer {
  readonly requests: RecordedRequest[] = [];
  private behaviours: VendorBehaviour[] = [];
  private fallback: VendorBehaviour = { kind: 'json', body: {} };
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Answer every request like this from now on. */
  always(behaviour: VendorBehaviour): this {
    this.fallback = behaviour;
    this.behaviours = [];
    return this;
  }

  /** Answer the next requests like these, in order, then fall back to `always`. */
  next(...behaviours: VendorBehaviour[]): this {
    this.behaviours.push(...behaviours);
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    this.requests.push({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body });
    const behaviour = this.behaviours.shift() ?? this.fallback;
    if (behaviour.kind === 'hangup') {
      request.socket.destroy();
      return;
    }
    // unref: an answer still pending when the spec file ends must not keep the jest worker alive.
    if (behaviour.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, behaviour.ms).unref());
    const status =
      behaviour.kind === 'status' ? behaviour.status : behaviour.kind === 'json' ? (behaviour.status ?? 200) : 200;
    const payload = behaviour.kind === 'status' ? '' : JSON.stringify(behaviour.body);
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json' }).end(payload);
  }
}

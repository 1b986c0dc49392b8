import { HttpStatus, Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerError } from './problem.filter';
import { ApiError } from './problem';

/** A new request reached an instance that is shutting down: another instance will answer the retry. */
export class ShuttingDownError extends ApiError {
  constructor() {
    super(
      HttpStatus.SERVICE_UNAVAILABLE,
      'SHUTTING_DOWN',
      'Service shutting down',
      'This instance is shutting down; retry the request and another instance will answer it.',
      {},
      1,
    );
  }
}

/**
 * Graceful drain on SIGTERM (main.ts): from `begin()` on, every new request is answered 503
 * problem+json (RFC 6749 JSON on OAuth endpoints) with Retry-After and `Connection: close`, never a
 * reset, while the requests already in flight run to completion; `settled()` says when they have.
 * Keep-alive connections are closed after their next response, so none is left idle for the final
 * close to cut under a client's feet.
 */
export class GracefulDrain {
  private readonly logger = new Logger('Shutdown');
  private draining = false;
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  /** Registered before every other hook, so a draining instance does no work at all for a new request. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (this.draining) {
        void reply.header('Connection', 'close');
        answerError(new ShuttingDownError(), request, reply, this.logger);
        return reply;
      }
      this.inFlight += 1;
      reply.raw.once('close', () => this.finished());
      return undefined;
    });
    fastify.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply) => {
      if (this.draining) void reply.header('Connection', 'close');
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  begin(): void {
    this.draining = true;
  }

  /** Resolves true once no request is in flight, or false when `timeoutMs` passes first. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  private finished(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

const drains = new WeakMap<object, GracefulDrain>();

/** The drain of an app built by createApp (main.ts starts it on SIGTERM). */
export function drainOf(app: object): GracefulDrain {
  let drain = drains.get(app);
  if (!drain) {
    drain = new GracefulDrain();
    drains.set(app, drain);
  }
  return drain;
}

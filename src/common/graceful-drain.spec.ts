import Fastify, { FastifyInstance } from 'fastify';
import { GracefulDrain } from './graceful-drain';

/** The drain on a bare Fastify server: what a client sees before, during and after `begin()`. */
describe('GracefulDrain', () => {
  let server: FastifyInstance;
  let drain: GracefulDrain;
  let base: string;
  let release: () => void = () => undefined;

  beforeEach(async () => {
    server = Fastify();
    drain = new GracefulDrain();
    drain.install(server);
    server.get('/slow', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { done: true };
    });
    server.post('/oauth2/token', async () => ({ access_token: 'x' }));
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  });

  /** Waits (bounded) until the server is handling `count` requests: no fixed sleep that a busy machine outruns. */
  async function inFlightReached(count: number): Promise<void> {
    for (let i = 0; i < 500 && drain.requestsInFlight < count; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  afterEach(async () => {
    release();
    await server.close();
  });

  it('lets in-flight requests finish while new ones get 503 problem+json, Retry-After and Connection: close', async () => {
    const inFlight = fetch(`${base}/slow`);
    await inFlightReached(1);
    expect(drain.requestsInFlight).toBe(1);
    drain.begin();
    const settled = drain.settled(5000);

    const refused = await fetch(`${base}/slow`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('connection')).toBe('close');
    expect(await refused.json()).toMatchObject({ type: 'urn:ciam:problem:shutting-down', status: 503 });

    const oauth = await fetch(`${base}/oauth2/token`, { method: 'POST' });
    expect(oauth.status).toBe(503);
    expect(await oauth.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });

    release();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    expect(finished.headers.get('connection')).toBe('close');
    expect(await settled).toBe(true);
    expect(drain.requestsInFlight).toBe(0);
  });

  it('says so when in-flight requests outlast the bound', async () => {
    const inFlight = fetch(`${base}/slow`);
    await inFlightReached(1);
    drain.begin();
    expect(await drain.settled(100)).toBe(false);
    release();
    await inFlight;
  });
});

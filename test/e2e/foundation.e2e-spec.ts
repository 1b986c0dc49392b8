import { EchoModule } from '../support/echo.module';
import { useTestApp } from '../support/app';

/** The ops surface and the error contract every REST endpoint shares. */
describe('foundation: health, metrics, logs and problem+json errors', () => {
  const t = useTestApp({ imports: [EchoModule] });

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers liveness and readiness (the database and the directory are up)', async () => {
    const live = await fetch(`${t.baseUrl}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${t.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'up' },
        signingKeys: { status: 'up' },
        directory: { status: 'up', adapter: 'file' },
      },
    });
  });

  it('exposes Prometheus metrics with request durations by route template and status', async () => {
    await fetch(`${t.baseUrl}/health/live`);
    await fetch(`${t.baseUrl}/no/such/route`);
    const response = await fetch(`${t.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\(unmatched\)",status_code="404"\} [1-9]/,
    );
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('answers an unknown route with a 404 problem+json', async () => {
    const response = await fetch(`${t.baseUrl}/no/such/route?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: expect.any(String),
      instance: '/no/such/route',
      requestId: response.headers.get('x-request-id'),
    });
  });

  it('answers a malformed JSON body with a 400 problem+json', async () => {
    const response = await post('/test-echo', '{"name": "a",');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
  });

  it('answers an oversized body with a 413 problem+json', async () => {
    const response = await post('/test-echo', JSON.stringify({ name: 'x'.repeat(t.config.http.bodyLimitBytes + 10) }));
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 413 });
  });

  it('answers an unsupported content type with a 415 problem+json', async () => {
    const response = await post('/test-echo', '<a/>', 'application/xml');
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('names every offending field on validation failure, and rejects unknown fields', async () => {
    const response = await post('/test-echo', JSON.stringify({ name: 7, email: 'nope', count: 11, isAdmin: true }));
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem).toMatchObject({ type: 'urn:ciam:problem:validation-failed', status: 400 });
    const fields = (problem.errors as Array<{ field: string }>).map((error) => error.field).sort();
    expect(fields).toEqual(['count', 'email', 'isAdmin', 'name']);
    expect(JSON.stringify(problem)).not.toContain('nope'); // values are never echoed
  });

  it('accepts a valid body', async () => {
    const response = await post('/test-echo', JSON.stringify({ name: 'a', email: 'a@example.test', count: 2 }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: 'a', email: 'a@example.test', count: 2 });
  });

  it('answers an unexpected error with a bare 500 that carries no internals', async () => {
    const response = await post('/test-echo/boom', '{}');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });

  it('keeps a well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await fetch(`${t.baseUrl}/health/live`, { headers: { 'x-request-id': 'lb-7f3a9c21-0001' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a9c21-0001');
    const replaced = await fetch(`${t.baseUrl}/health/live`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs each request as JSON with its request id, and never its Authorization header or cookies', async () => {
    const requestId = 'trace-authz-0000001';
    await fetch(`${t.baseUrl}/no/such/route`, {
      headers: {
        authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.secret-bearer-value',
        cookie: 'sid=secret-cookie-value',
        'x-request-id': requestId,
      },
    });
    const line = t.logLines().find((entry) => entry.requestId === requestId && entry.msg === 'request completed');
    expect(line).toBeDefined();
    expect(line).toMatchObject({ requestId, req: { method: 'GET', path: '/no/such/route' }, res: { statusCode: 404 } });
    expect((line!.req as { headers: Record<string, string> }).headers.authorization).toBe('[REDACTED]');
    expect(t.rawLogs()).not.toContain('secret-bearer-value');
    expect(t.rawLogs()).not.toContain('secret-cookie-value');
  });

  it('logs the stack of an unexpected error with the request id', async () => {
    const response = await fetch(`${t.baseUrl}/test-echo/boom`, {
      method: 'POST',
      headers: { 'x-request-id': 'trace-boom-0000001' },
    });
    expect(response.status).toBe(500);
    const errorLine = t.logLines().find((entry) => entry.requestId === 'trace-boom-0000001' && entry.level === 50);
    expect(errorLine).toBeDefined();
  });

  it('sends the usual security headers', async () => {
    const response = await fetch(`${t.baseUrl}/health/live`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get('strict-transport-security')).toBeNull(); // plain http here; set when the issuer is https
  });

  it('serves Swagger UI at /docs and the document beside it', async () => {
    const ui = await fetch(`${t.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    const document = await fetch(`${t.baseUrl}/docs/openapi.json`);
    expect(document.status).toBe(200);
    expect((await document.json()).paths).toHaveProperty(['/health/ready']);
  });
});

describe('behind TLS (an https issuer)', () => {
  const t = useTestApp({ env: { OIDC_ISSUER: 'https://id.bank.example' } });

  it('asks browsers to keep to HTTPS', async () => {
    const response = await fetch(`${t.baseUrl}/health/live`);
    expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });
});

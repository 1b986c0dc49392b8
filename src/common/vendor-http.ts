import { trace } from '@opentelemetry/api';
import { DependencyMeter, DependencyOutcome, meteredCall } from './meters';

/**
 * The one way adapters call an outside vendor over HTTP: a timeout on every call, and a clear split
 * between "the vendor said no" (4xx, returned) and "the vendor is not there" (network error, timeout,
 * 5xx, unreadable body: VendorUnavailableError), which callers turn into fail-closed behaviour.
 */
export class VendorUnavailableError extends Error {
  constructor(
    readonly vendor: string,
    reason: string,
  ) {
    super(`${vendor} unavailable: ${reason}`);
    this.name = 'VendorUnavailableError';
  }
}

export interface VendorResponse {
  status: number;
  body: unknown;
}

export interface VendorRequest {
  vendor: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Retries after a timeout, network error or 5xx (never after a 4xx); for idempotent or deduplicated calls only. */
  retries?: number;
  /** What the call does (`send`, `evaluate`): the span's name with the vendor. */
  operation?: string;
  /** Each attempt's latency, by outcome (Meters.dependency(vendor, operation), bound once by the adapter). */
  meter?: DependencyMeter;
}

interface Attempt {
  status: number;
  text: string;
  contentType: string;
}

const statusOutcome = (attempt: Attempt): DependencyOutcome =>
  attempt.status >= 500 ? 'error' : attempt.status >= 400 ? 'rejected' : 'ok';
const failureOutcome = (error: unknown): DependencyOutcome =>
  (error as Error).name === 'TimeoutError' ? 'timeout' : 'error';

/** One HTTP exchange, in its own client span (the host only: paths can carry account ids). */
function attemptOnce(request: VendorRequest, attempt: number): Promise<Attempt> {
  const method = request.method ?? 'GET';
  return meteredCall(
    request.meter,
    {
      name: `${request.vendor} ${request.operation ?? method}`,
      attributes: {
        'peer.service': request.vendor,
        'http.request.method': method,
        'server.address': new URL(request.url).hostname,
        'http.request.resend_count': attempt - 1,
      },
    },
    async () => {
      const response = await fetch(request.url, {
        method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(request.timeoutMs),
        redirect: 'error',
      });
      const text = await response.text();
      trace.getActiveSpan()?.setAttribute('http.response.status_code', response.status);
      return { status: response.status, text, contentType: response.headers.get('content-type') ?? '' };
    },
    failureOutcome,
    statusOutcome,
  );
}

export async function callVendor(request: VendorRequest): Promise<VendorResponse> {
  const attempts = 1 + (request.retries ?? 0);
  let lastReason = 'no attempt';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const { status, text, contentType } = await attemptOnce(request, attempt);
      if (status >= 500) {
        lastReason = `HTTP ${status}`;
        continue;
      }
      let body: unknown = text;
      if (contentType.includes('json') && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new VendorUnavailableError(request.vendor, 'unreadable JSON response');
        }
      }
      return { status, body };
    } catch (error) {
      if (error instanceof VendorUnavailableError) throw error;
      lastReason =
        (error as Error).name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : 'network error';
    }
  }
  throw new VendorUnavailableError(request.vendor, lastReason);
}

/** "Name: value" (an adapter's configured auth header) as a header entry, or nothing. */
export function headerFromSetting(setting: string | undefined): Record<string, string> {
  if (!setting?.includes(':')) return {};
  const colon = setting.indexOf(':');
  return { [setting.slice(0, colon).trim()]: setting.slice(colon + 1).trim() };
}

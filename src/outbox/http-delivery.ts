import type { NodeEnv } from '../config/config';
import { callVendor, VendorUnavailableError } from '../common/vendor-http';
import { deliveryUrlProblem } from './delivery-url';
import type { OutboxOutcome } from './outbox.service';

export interface HttpDelivery {
  /** Names the receiver kind in errors and logs ('backchannel-logout', 'set-receiver', 'webhook'). */
  vendor: string;
  url: string;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  nodeEnv: NodeEnv;
}

/** Answers that mean "not now" rather than "never": tried again (RFC 9110 §15.5.9, RFC 6585 §4, RFC 8470). */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * One POST of an outbox message through the vendor HTTP helper (a timeout, no redirects followed), as an
 * outbox outcome: 2xx delivered; a network error, a timeout, 5xx or 408/425/429 retried with backoff; any other
 * answer dead (the receiver refused it: sending it again cannot help). The URL is checked again at delivery
 * (it was checked at registration; a configuration change may have made plain http unacceptable). Errors hold
 * the status only: a receiver's response body is never stored.
 */
export async function postDelivery(delivery: HttpDelivery): Promise<OutboxOutcome> {
  const problem = deliveryUrlProblem(delivery.url, delivery.nodeEnv);
  if (problem) return { outcome: 'dead', error: `${delivery.vendor} URL ${problem}` };
  try {
    const response = await callVendor({
      vendor: delivery.vendor,
      url: delivery.url,
      method: 'POST',
      headers: { 'content-type': delivery.contentType, ...delivery.headers },
      body: delivery.body,
      timeoutMs: delivery.timeoutMs,
    });
    if (response.status >= 200 && response.status < 300) return { outcome: 'delivered' };
    const error = `${delivery.vendor} answered HTTP ${response.status}`;
    return { outcome: RETRYABLE_4XX.has(response.status) ? 'retry' : 'dead', error };
  } catch (error) {
    if (error instanceof VendorUnavailableError) return { outcome: 'retry', error: error.message };
    return { outcome: 'retry', error: `${delivery.vendor} call failed` };
  }
}

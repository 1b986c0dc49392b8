import type { NodeEnv } from '../config/config';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why `raw` cannot be a delivery target (a back-channel logout URI, a SET receiver, a webhook), or null when
 * it can. https only: what is pushed is signed but still names customers and sessions. Plain http only to a
 * loopback host outside production (local development and the tests' receivers), as for other vendor URLs.
 * No credentials in the URL (they would end up in logs and listings), no fragment (OIDC Back-Channel Logout
 * 1.0 §2.2).
 */
export function deliveryUrlProblem(raw: string, nodeEnv: NodeEnv): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && nodeEnv !== 'production' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return nodeEnv === 'production' ? 'must be an https URL' : 'must be an https URL (http only on loopback)';
}

import { Slapd, startSlapd } from './slapd';
import { VendorServer } from './vendor-server';

/**
 * A real slapd and a local SMS gateway for the specs of one describe block, with the app's environment
 * pointing at both through the real `http` SMS adapter (filled in by beforeAll, before the app starts).
 * Per-number budgets are lifted, since such specs send bob many codes; `settings` adds or overrides.
 */
export function useDirectoryAndSmsGateway(settings: Record<string, string> = {}): {
  gateway: VendorServer;
  env: Record<string, string>;
} {
  const gateway = new VendorServer();
  const env: Record<string, string> = {};
  let slapd: Slapd | undefined;
  beforeAll(async () => {
    slapd = await startSlapd();
    await gateway.start();
    gateway.always({ kind: 'json', body: { id: 'msg-1' } });
    Object.assign(env, slapd.env, {
      SMS_PROVIDER: 'http',
      SMS_HTTP_URL: `${gateway.url}/sms`,
      SMS_RECIPIENT_LIMIT_15M: '1000',
      SMS_RECIPIENT_LIMIT_24H: '1000',
      ...settings,
    });
  });
  afterAll(async () => {
    await gateway.stop();
    await slapd?.stop();
  });
  return { gateway, env };
}

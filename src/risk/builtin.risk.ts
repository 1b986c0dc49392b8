import { BlockList, isIP } from 'node:net';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config';
import type { DrsRecommendation } from './drs-evaluation.entity';
import { RiskSignalsRepository } from './risk-signals.repository';
import { RiskAssessment, RiskEvaluator, RiskInput } from './risk.port';

/** Each rule's weight; the sum is the score. 30 or more asks for a second factor, 70 or more denies. */
const WEIGHTS = {
  unknown_device: 20,
  new_network: 40,
  account_failures: 30,
  account_failure_burst: 40,
  ip_failures: 30,
  ip_failure_burst: 60,
} as const;
const CHALLENGE_AT = 30;
const DENY_AT = 70;

/**
 * Built-in device-risk rules: an unknown device, a network the customer never used (unless it is one of
 * the bank's trusted networks), and failed-login velocity per customer and per IP address.
 */
export class BuiltinRiskEvaluator extends RiskEvaluator {
  readonly name = 'builtin';
  /** Reads PostgreSQL only: the journey runs it on its own transaction's connection. */
  override readonly remote = false;
  private readonly trusted = new BlockList();

  constructor(
    settings: AppConfig['risk'],
    private readonly signals: RiskSignalsRepository,
    private readonly lockout: AppConfig['lockout'],
  ) {
    super();
    for (const cidr of settings.trustedNetworks) {
      const [address, prefix] = cidr.split('/');
      const family = isIP(address);
      if (family) this.trusted.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
  }

  async evaluate(input: RiskInput, db: EntityManager): Promise<RiskAssessment> {
    const reasons: Array<keyof typeof WEIGHTS> = [];
    const trusted = input.ip ? this.isTrusted(input.ip) : false;
    const read = await this.signals.signals(db, {
      cupid: input.cupid,
      deviceId: input.deviceId,
      ip: input.ip,
      excludeContextId: input.contextId,
      checkNetwork: !trusted,
    });
    const { knownDevice, ipFailures } = read;
    const knownNetwork = trusted || read.knownNetwork;
    const failures = { account: input.accountFailures, ip: ipFailures };
    if (!knownDevice) reasons.push('unknown_device');
    if (!knownNetwork) reasons.push('new_network');
    if (failures.account >= this.lockout.throttleAfter) reasons.push('account_failure_burst');
    else if (failures.account >= 3) reasons.push('account_failures');
    if (failures.ip >= Math.max(2, Math.floor(this.lockout.ipFailureLimit / 2))) reasons.push('ip_failure_burst');
    else if (failures.ip >= Math.max(1, Math.floor(this.lockout.ipFailureLimit / 5))) reasons.push('ip_failures');

    const score = Math.min(
      100,
      reasons.reduce((sum, reason) => sum + WEIGHTS[reason], 0),
    );
    const recommendation: DrsRecommendation = score >= DENY_AT ? 'DENY' : score >= CHALLENGE_AT ? 'CHALLENGE' : 'ALLOW';
    return { recommendation, score, reasons, raw: { rules: reasons, failures } };
  }

  private isTrusted(ip: string): boolean {
    const family = isIP(ip);
    return family !== 0 && this.trusted.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerFactors, CustomerFactorSource, CustomerFactorSummary } from '../../common/customer-factors';
import { TotpService } from './totp.service';

/** Confirmed TOTP credentials as factors (kind 'totp'): listed and revocable one by one. */
@Injectable()
export class TotpFactorSource implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'totp';

  constructor(
    private readonly factors: CustomerFactors,
    private readonly totp: TotpService,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    return (await this.totp.listConfirmed(cupid)).map((credential) => ({
      kind: this.kind,
      id: credential.id,
      label: 'Authenticator app',
      createdAt: credential.confirmedAt,
      lastUsedAt: credential.lastUsedAt,
      revocable: true,
    }));
  }

  async revoke(cupid: string, id: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string) {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
    return (await this.totp.revoke(cupid, id, toActor(actor), reason ?? `removed by the ${actor.type}`)) > 0;
  }

  revokeAll(cupid: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string): Promise<number> {
    return this.totp.revoke(cupid, null, toActor(actor), reason ?? `reset by the ${actor.type}`);
  }
}

const toActor = (actor: { type: 'customer' | 'agent'; id: string }) => ({
  type: actor.type === 'agent' ? ('AGENT' as const) : ('CUSTOMER' as const),
  id: actor.id,
});

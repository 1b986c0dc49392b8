import { Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CustomerFactors, CustomerFactorSource, CustomerFactorSummary } from '../../common/customer-factors';
import { CustomerEmailsRepository } from './customer-emails.repository';
import { maskEmail } from './email-sender.port';
import { EmailVerificationService } from './email-verification.service';

/** The verified email address as a factor (kind 'email') in the CustomerFactors registry: listed and revocable. */
@Injectable()
export class EmailFactorSource implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'email';

  constructor(
    private readonly factors: CustomerFactors,
    private readonly dataSource: DataSource,
    private readonly emails: CustomerEmailsRepository,
    private readonly verification: EmailVerificationService,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    const row = await this.emails.find(this.dataSource.manager, cupid);
    if (!row) return [];
    return [
      {
        kind: this.kind,
        // One address per customer: the factor's id is fixed, never the address itself.
        id: 'primary',
        label: maskEmail(row.address),
        createdAt: row.verifiedAt,
        lastUsedAt: row.lastUsedAt,
        revocable: true,
      },
    ];
  }

  async revoke(cupid: string, id: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string) {
    if (id !== 'primary') return false;
    return this.verification.remove(
      cupid,
      { type: actor.type === 'agent' ? 'AGENT' : 'CUSTOMER', id: actor.id },
      reason ?? `removed by the ${actor.type}`,
    );
  }

  async revokeAll(cupid: string, actor: { type: 'customer' | 'agent'; id: string }, reason?: string): Promise<number> {
    return (await this.revoke(cupid, 'primary', actor, reason)) ? 1 : 0;
  }
}

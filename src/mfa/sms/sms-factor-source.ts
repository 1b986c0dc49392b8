import { Injectable, OnModuleInit } from '@nestjs/common';
import { CustomerFactors } from '../../common/customer-factors';
import type { CustomerFactorSource, CustomerFactorSummary } from '../../common/customer-factors';
import { maskPhone, UserDirectory } from '../../directory/user-directory.port';

/**
 * The SMS factor ('sms'): the phone number in the directory, which stays the source of identity. Listed
 * (masked) but not revocable here: the number is changed in the directory, not by /me or an agent's reset.
 */
@Injectable()
export class SmsFactorSource implements CustomerFactorSource, OnModuleInit {
  readonly kind = 'sms';

  constructor(
    private readonly factors: CustomerFactors,
    private readonly directory: UserDirectory,
  ) {}

  onModuleInit(): void {
    this.factors.register(this);
  }

  async list(cupid: string): Promise<CustomerFactorSummary[]> {
    const phone = maskPhone((await this.directory.findByCupid(cupid))?.phoneNumber ?? null);
    if (!phone) return [];
    return [
      { kind: this.kind, id: 'directory-phone', label: phone, createdAt: null, lastUsedAt: null, revocable: false },
    ];
  }

  revoke(): Promise<boolean> {
    return Promise.resolve(false);
  }

  revokeAll(): Promise<number> {
    return Promise.resolve(0);
  }
}

import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { FactorKeys } from '../../common/factor-keys';
import { hmacSha256 } from '../../common/crypto';

/**
 * The email factor's server keys: the code HMAC (the same scheme as the SMS code, src/mfa/otp.ts) and the
 * address HMAC of the send budget (so the budget table holds no address). Found at run time: the tokens module
 * provides FactorKeys and sits above this one (src/common/factor-keys.ts).
 */
@Injectable()
export class EmailKeys {
  private keys?: { code: Buffer; recipient: Buffer };

  constructor(private readonly moduleRef: ModuleRef) {}

  private get(): { code: Buffer; recipient: Buffer } {
    if (!this.keys) {
      const factorKeys = this.moduleRef.get(FactorKeys, { strict: false });
      this.keys = { code: factorKeys.derive('email-code'), recipient: factorKeys.derive('email-recipient') };
    }
    return this.keys;
  }

  get codeKey(): Buffer {
    return this.get().code;
  }

  /** Addresses compare case-insensitively for the budget (one mailbox, however it is spelled). */
  recipientHash(address: string): Buffer {
    return hmacSha256(this.get().recipient, address.toLowerCase());
  }
}

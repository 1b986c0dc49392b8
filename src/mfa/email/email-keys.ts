import { Injectable } from '@nestjs/common';
import { hmacSha256 } from '../../common/crypto';
import { FactorKeys } from '../../keys/factor-keys';

/**
 * The email factor's server keys: the code HMAC (the same scheme as the SMS code, src/mfa/otp.ts) and the
 * address HMAC of the send budget (so the budget table holds no address), derived from the key-encryption key
 * (FactorKeys, src/keys).
 */
@Injectable()
export class EmailKeys {
  readonly codeKey: Buffer;
  private readonly recipientKey: Buffer;

  constructor(factorKeys: FactorKeys) {
    this.codeKey = factorKeys.derive('email-code');
    this.recipientKey = factorKeys.derive('email-recipient');
  }

  /** Addresses compare case-insensitively for the budget (one mailbox, however it is spelled). */
  recipientHash(address: string): Buffer {
    return hmacSha256(this.recipientKey, address.toLowerCase());
  }
}

import { Injectable } from '@nestjs/common';
import { KeyDerivation } from '../keys/key-derivation';
import { computePairwiseSid, PAIRWISE_SID_KEY_INFO } from './pseudonym-keys';
import { sectorOf, SubjectPolicy } from './pseudonyms.service';

/**
 * The `sid` a client sees (OpenID Connect Back-Channel Logout §2.4 and §2.6 allow one per relying party). A
 * public-subject client sees the session id, as before, at no cost. A pairwise client sees a pseudonym of the
 * session per sector: with the session id itself, two pairwise clients of different sectors in one SSO session
 * could link the customer through `sid` although their `sub` differ (OIDC Core §8.1). Computed, never stored: the
 * way back (an id_token_hint at end_session) computes it for the customer's sessions and compares.
 */
@Injectable()
export class PairwiseSids {
  /** The current key-encryption key's sid key, then the previous one's while it is configured. */
  private readonly keys: Buffer[];

  constructor(derivation: KeyDerivation) {
    const previous = derivation.derivePrevious(PAIRWISE_SID_KEY_INFO);
    this.keys = [derivation.derive(PAIRWISE_SID_KEY_INFO), ...(previous ? [previous] : [])];
  }

  /** The sid `client` is given for `sessionId`: pure computation (no statement), one HMAC for a pairwise client. */
  sidFor(client: SubjectPolicy, sessionId: string): string {
    if (client.subjectType !== 'pairwise') return sessionId;
    return computePairwiseSid(this.keys[0], sectorOf(client), sessionId);
  }

  /**
   * Which of `sessionIds` (the customer's sessions) a sid this client received names, or null. Under the current
   * key-encryption key, then under the previous one while it is configured (KEY_ENCRYPTION_KEY_PREVIOUS): an ID
   * token issued before a change of that key still names its session at end_session.
   */
  sessionNamed(client: SubjectPolicy, sid: string, sessionIds: readonly string[]): string | null {
    if (client.subjectType !== 'pairwise') return sessionIds.includes(sid) ? sid : null;
    const sector = sectorOf(client);
    for (const key of this.keys) {
      const found = sessionIds.find((id) => computePairwiseSid(key, sector, id) === sid);
      if (found) return found;
    }
    return null;
  }
}

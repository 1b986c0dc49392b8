import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { PseudonymsService } from '../pseudonyms/pseudonyms.service';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';

/** What an id_token_hint names: the customer (a pairwise sub resolved back to the CUPID), the session, the client. */
export interface IdTokenHint {
  cupid: string;
  sessionId: string;
  clientId: string;
}

/**
 * OIDC Core §3.1.2.1 and RP-Initiated Logout §2: an id_token_hint must be an ID token this provider signed
 * (expired ones allowed: a customer may sign out long after). Its `sub` is what its client saw: a pairwise
 * client's pseudonym is resolved through the mapping (old pseudonyms too, while a migration keeps them);
 * a public client's `sub` is the CUPID and costs no query.
 */
@Injectable()
export class IdTokenHints {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clients: ClientsService,
    private readonly pseudonyms: PseudonymsService,
  ) {}

  /** Null when it is not an ID token issued here, or its pairwise sub no longer names anyone. */
  async resolve(hint: string): Promise<IdTokenHint | null> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await this.keys.verify(hint, { typ: 'JWT', ignoreExpiration: true }));
    } catch {
      return null;
    }
    const { sub, sid, aud } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof aud !== 'string') return null;
    const client = await this.clients.findActive(aud);
    // A deactivated client's sessions ended with it; its hint still names one (a logout is recorded), sub as it is.
    const cupid = client ? await this.pseudonyms.resolveSubject(client, sub) : sub;
    return cupid === null ? null : { cupid, sessionId: sid, clientId: aud };
  }
}

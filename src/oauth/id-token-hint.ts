import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { PairwiseSids } from '../pseudonyms/pairwise-sids';
import { PseudonymsService, SubjectPolicy } from '../pseudonyms/pseudonyms.service';
import { SessionsService } from '../sessions/sessions.service';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';

/** What an id_token_hint names: the customer (a pairwise sub resolved back to the CUPID), the client, the sid. */
export interface IdTokenHint {
  cupid: string;
  clientId: string;
  /** The hint's `sid` as its client saw it: the session id, or a pairwise client's pseudonym of it. */
  sid: string;
  /** The subject policy of the hint's client (active or not); null when no such client is registered. */
  policy: SubjectPolicy | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * OIDC Core §3.1.2.1 and RP-Initiated Logout §2: an id_token_hint must be an ID token this provider signed
 * (expired ones allowed: a customer may sign out long after). Its `sub` is what its client saw: a pairwise
 * client's pseudonym is resolved through the mapping (old pseudonyms too, while a migration keeps them);
 * a public client's `sub` is the CUPID and costs no query. Its `sid` likewise (src/pseudonyms/pairwise-sids.ts):
 * only end_session needs the session, so only it pays for a pairwise client's (sessionOf).
 */
@Injectable()
export class IdTokenHints {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly clients: ClientsService,
    private readonly pseudonyms: PseudonymsService,
    private readonly sids: PairwiseSids,
    private readonly sessions: SessionsService,
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
    // A deactivated client's hint still names its customer and session (a logout is recorded): its policy is read
    // from the table, which only this rare case costs.
    const client = (await this.clients.findActive(aud)) ?? (await this.clients.find(aud));
    const cupid = client ? await this.pseudonyms.resolveSubject(client, sub) : sub;
    if (cupid === null) return null;
    const policy = client ? { subjectType: client.subjectType, sectorIdentifier: client.sectorIdentifier } : null;
    return { cupid, clientId: aud, sid, policy };
  }

  /**
   * The session the hint names, or null when it is no longer in the table. A public client's sid is the session id
   * (no statement); a pairwise client's is one-way, so it is compared with the pseudonyms of the customer's sessions
   * (one statement).
   */
  async sessionOf(hint: IdTokenHint): Promise<string | null> {
    if (hint.policy?.subjectType !== 'pairwise') return UUID.test(hint.sid) ? hint.sid : null;
    return this.sids.sessionNamed(hint.policy, hint.sid, await this.sessions.sessionIdsOf(hint.cupid));
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_TYPES } from '../audit/audit-events';
import type { AuditActor } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import type { RequestOrigin } from '../common/request-origin';
import { KeyDerivation } from '../keys/key-derivation';
import { computePseudonym, pseudonymKeyInfo } from './pseudonym-keys';
import { PseudonymVersion, PseudonymVersionsRepository } from './pseudonym-versions.repository';
import { MigratedMapping, PseudonymCandidate, SubjectPseudonymsRepository } from './subject-pseudonyms.repository';

/** What decides a client's subjects (OpenID Connect Core §8): the two columns of oauth_clients. */
export interface SubjectPolicy {
  subjectType: 'public' | 'pairwise';
  sectorIdentifier: string | null;
}

export class PseudonymVersionError extends Error {}

/** A key reference: what HKDF's info is built from (not a secret; printed and audited). */
export const KEY_REF = /^[A-Za-z0-9._:-]{1,64}$/;

export interface MigrationProgress {
  fromVersion: number | null;
  toVersion: number;
  migrated: number;
  remaining: number;
}

const MAX_ATTEMPTS = 3;

/**
 * Pairwise subjects (issue 16 item 3). A pairwise client's `sub` is a pseudonym per sector: computed once per
 * (sector, customer) with the current version, recorded in subject_pseudonyms, and from then on read from there,
 * so an existing pseudonym keeps its version until an operator migrates it (pseudonyms:migrate). A public
 * client's `sub` is the CUPID and costs nothing here.
 */
@Injectable()
export class PseudonymsService {
  /** The versions as last read: refreshed when the current one is not among them (a version added elsewhere). */
  private versions?: Promise<PseudonymVersion[]>;
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly versionsRepository: PseudonymVersionsRepository,
    private readonly mappings: SubjectPseudonymsRepository,
    private readonly audit: AuditService,
    private readonly derivation: KeyDerivation,
  ) {}

  /**
   * The `sub` a client sees for a customer. Pairwise: one statement (the mapping's read, or its insert with the
   * current version); `manager` when the caller is inside a transaction (never a second pooled connection).
   */
  async subjectFor(client: SubjectPolicy, cupid: string, manager?: EntityManager): Promise<string> {
    if (client.subjectType !== 'pairwise') return cupid;
    const sector = sectorOf(client);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const candidates = await this.candidates(sector, cupid, attempt > 1);
      const found = await this.mappings.findOrInsert(sector, cupid, candidates, manager);
      if (found) return found.pseudonym;
    }
    // Only if versions change on every attempt: fail closed rather than issue a sub nobody can resolve.
    throw new Error('no current pseudonym version could be used');
  }

  /** The customer a `sub` of this client names (id_token_hint, the agents' reverse lookup); null when unknown. */
  async resolveSubject(client: SubjectPolicy, sub: string): Promise<string | null> {
    if (client.subjectType !== 'pairwise') return sub;
    // A pseudonym is 43 base64url characters; anything else cannot be one (and is not worth a query).
    if (!/^[A-Za-z0-9_-]{43}$/.test(sub)) return null;
    return (await this.mappings.resolve(sectorOf(client), sub))?.cupid ?? null;
  }

  /**
   * The agents' reverse lookup: resolveSubject, audited (pseudonym.resolved) with the agent, the reason and the
   * CUPID when found; never the pseudonym itself in the details.
   */
  async resolveForAgent(
    client: SubjectPolicy & { clientId: string },
    sub: string,
    action: { agent: AuditActor; reason: string; origin: Partial<RequestOrigin> },
  ): Promise<string | null> {
    const cupid = await this.resolveSubject(client, sub);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.PSEUDONYM_RESOLVED,
        outcome: cupid ? 'SUCCESS' : 'FAILURE',
        actor: action.agent,
        clientId: client.clientId,
        ...(cupid ? { cupid } : {}),
        ip: action.origin.ip,
        userAgent: action.origin.userAgent,
        details: { subjectType: client.subjectType, found: cupid !== null, reason: action.reason },
      }),
    );
    return cupid;
  }

  /** `pseudonyms:add-version`: a new current version; the current one becomes previous (still resolvable). */
  async addVersion(keyRef: string, actor: AuditActor): Promise<{ version: number; previous: number }> {
    if (!KEY_REF.test(keyRef)) throw new PseudonymVersionError('--key-ref must be 1 to 64 letters, digits or ._:-');
    const result = await this.dataSource.transaction(async (manager) => {
      await this.versionsRepository.lock(manager, 'exclusive');
      const versions = await this.versionsRepository.list(manager);
      if (versions.some((v) => v.keyRef === keyRef))
        throw new PseudonymVersionError(`key reference ${keyRef} was already used`);
      const previous = versions.find((v) => v.state === 'previous');
      // Retiring a version its mappings still use would make their pseudonyms change without a migration.
      if (previous && (await this.mappings.countOfVersion(manager, previous.version)) > 0)
        throw new PseudonymVersionError(
          `version ${previous.version} still has mappings: finish pseudonyms:migrate before adding a version`,
        );
      const current = versions.find((v) => v.state === 'current')!;
      const version = await this.versionsRepository.addCurrent(manager, keyRef);
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.PSEUDONYM_VERSION_ADDED,
        outcome: 'SUCCESS',
        actor,
        details: {
          version,
          algorithm: 'hmac-sha256',
          keyRef,
          previous: current.version,
          ...(previous ? { retired: previous.version } : {}),
        },
      });
      return { version, previous: current.version };
    });
    this.versions = undefined;
    return result;
  }

  /**
   * `pseudonyms:migrate`: re-issues the previous version's mappings with the current one, `batch` rows per
   * transaction, at most `maxBatches` batches (resumable: the rows left stay on the previous version and the
   * next run continues). A migrated row keeps its old pseudonym as previous (resolvable); a row whose previous
   * pseudonym is of the current version (after a rollback) gets it back rather than a recomputed one.
   */
  async migrate(batch: number, maxBatches: number, actor: AuditActor): Promise<MigrationProgress> {
    let migrated = 0;
    let progress: { from: number | null; to: number } = { from: null, to: 0 };
    for (let done = 0; done < maxBatches; done++) {
      const step = await this.dataSource.transaction(async (manager) => {
        await this.versionsRepository.lock(manager, 'shared');
        const versions = await this.versionsRepository.list(manager);
        const current = versions.find((v) => v.state === 'current')!;
        const previous = versions.find((v) => v.state === 'previous');
        progress = { from: previous?.version ?? null, to: current.version };
        if (!previous) return 0;
        const rows = await this.mappings.claimBatch(manager, previous.version, batch);
        const key = this.keyOf(current.keyRef);
        const next: MigratedMapping[] = rows.map((row) => ({
          sectorIdentifier: row.sectorIdentifier,
          cupid: row.cupid,
          version: current.version,
          pseudonym:
            row.previousVersion === current.version && row.previousPseudonym
              ? row.previousPseudonym
              : computePseudonym(key, row.sectorIdentifier, row.cupid),
        }));
        return this.mappings.applyBatch(manager, next);
      });
      migrated += step;
      if (step < batch) break;
    }
    const remaining = progress.from === null ? 0 : ((await this.mappings.countsByVersion()).get(progress.from) ?? 0);
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.PSEUDONYMS_MIGRATED,
        outcome: 'SUCCESS',
        actor,
        details: { fromVersion: progress.from, toVersion: progress.to, migrated, remaining },
      }),
    );
    return { fromVersion: progress.from, toVersion: progress.to, migrated, remaining };
  }

  /**
   * `pseudonyms:rollback`: the previous version is current again (and the current one previous), then the
   * mappings are migrated back, each to the pseudonym it had (reversible: a second rollback undoes the first).
   */
  async rollback(batch: number, actor: AuditActor): Promise<MigrationProgress & { current: number }> {
    const swapped = await this.dataSource.transaction(async (manager) => {
      await this.versionsRepository.lock(manager, 'exclusive');
      const result = await this.versionsRepository.swapCurrentAndPrevious(manager);
      if (!result) throw new PseudonymVersionError('there is no previous version to roll back to');
      await this.audit.record(manager, {
        type: AUDIT_EVENT_TYPES.PSEUDONYM_VERSION_ROLLED_BACK,
        outcome: 'SUCCESS',
        actor,
        details: { current: result.current, previous: result.previous },
      });
      return result;
    });
    this.versions = undefined;
    return { current: swapped.current, ...(await this.migrate(batch, Number.MAX_SAFE_INTEGER, actor)) };
  }

  /** `pseudonyms:status`: each version with its state and how many mappings use it. */
  async status(): Promise<Array<PseudonymVersion & { mappings: number }>> {
    const [versions, counts] = await Promise.all([this.versionsRepository.list(), this.mappings.countsByVersion()]);
    return versions.map((v) => ({ ...v, mappings: counts.get(v.version) ?? 0 }));
  }

  /** The pseudonym of every version not retired: the statement keeps the current one (no read of versions first). */
  private async candidates(sector: string, cupid: string, reload: boolean): Promise<PseudonymCandidate[]> {
    if (reload || !this.versions) {
      this.versions = this.versionsRepository.list();
      this.versions.catch(() => (this.versions = undefined));
    }
    const versions = await this.versions;
    return versions
      .filter((v) => v.state !== 'retired')
      .map((v) => ({ version: v.version, pseudonym: computePseudonym(this.keyOf(v.keyRef), sector, cupid) }));
  }

  private keyOf(keyRef: string): Buffer {
    let key = this.keys.get(keyRef);
    if (!key) {
      key = this.derivation.derive(pseudonymKeyInfo(keyRef));
      this.keys.set(keyRef, key);
    }
    return key;
  }
}

export function sectorOf(client: SubjectPolicy): string {
  // The table's check (oauth_clients_pairwise_sector) makes this unreachable; fail closed if it ever is not.
  if (!client.sectorIdentifier) throw new Error('a pairwise client without a sector identifier');
  return client.sectorIdentifier;
}

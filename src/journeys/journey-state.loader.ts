import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { DirectoryUnavailableError, DirectoryUser, UserDirectory } from '../directory/user-directory.port';
import { ClientsService } from '../clients/clients.service';
import { DrsEvaluationsRepository } from '../risk/drs-evaluations.repository';
import type { AuthContext } from './auth-context.entity';
import { AuthContextsRepository } from './auth-contexts.repository';
import { AuthTransactionsRepository, PassedStep } from './auth-transactions.repository';
import { JourneyFailedError } from './journey-errors';
import type { JourneyState } from './policy';

/** What policy decides from, loaded for one request: from the database in its transaction, and from the directory outside any. */
@Injectable()
export class JourneyStateLoader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly contexts: AuthContextsRepository,
    private readonly transactions: AuthTransactionsRepository,
    private readonly clients: ClientsService,
    private readonly directory: UserDirectory,
    private readonly evaluations: DrsEvaluationsRepository,
  ) {}

  /** `passedSteps`: what the claim already read (AuthTransactionsRepository.claim); read here when not given. */
  async load(tx: EntityManager, context: AuthContext, passedSteps?: PassedStep[]): Promise<JourneyState> {
    // From the instance's client cache (a journey start read the same client moments ago); else in this transaction.
    const client = await this.clients.findActiveCachedOr(context.clientId, tx);
    if (!client) throw new JourneyFailedError('The application that started this sign-in is no longer registered.');
    const passed = (passedSteps ?? (await this.transactions.passedSteps(tx, context.id))).map((entry) => ({
      step: entry.step,
      facts: entry.result as JourneyState['passed'][number]['facts'],
    }));
    // A risk verdict is recorded only together with a step's pass (JourneyService.afterRisk), so a journey
    // with no passed step has none: its first step skips the read.
    const evaluation = passed.length > 0 ? await this.evaluations.findLatest(tx, context.id) : null;
    return { context, client, passed, risk: evaluation?.recommendation ?? null, transient: {}, db: tx };
  }

  /** A customer's directory entry by CUPID (a step-up's customer); throws DirectoryUnavailableError when it cannot answer. */
  customerByCupid(cupid: string): Promise<DirectoryUser | null> {
    return this.directory.findByCupid(cupid);
  }

  /**
   * The customer's directory entry, for steps that need it (the phone for SMS). Called before any
   * transaction opens; a directory outage leaves it unknown (undefined), and only a step that truly needs
   * it then answers 503.
   */
  async lookupCustomer(journeyId: string): Promise<{ user: DirectoryUser | null } | undefined> {
    const cupid = await this.contexts.findCupid(this.dataSource.manager, journeyId);
    if (!cupid) return undefined;
    try {
      return { user: await this.directory.findByCupid(cupid) };
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) return undefined;
      throw error;
    }
  }
}

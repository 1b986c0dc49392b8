import { Module } from '@nestjs/common';
import { DrsEvaluationsRepository } from './drs-evaluations.repository';

/** The owner of drs_evaluations on its own, so the data lifecycle can purge it without loading a risk adapter. */
@Module({ providers: [DrsEvaluationsRepository], exports: [DrsEvaluationsRepository] })
export class DrsEvaluationsModule {}

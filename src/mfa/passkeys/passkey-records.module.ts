import { Module } from '@nestjs/common';
import { PasskeysRepository } from './passkeys.repository';

/** The passkey tables' repository on its own, for the jobs (purge) without the factor's services. */
@Module({ providers: [PasskeysRepository], exports: [PasskeysRepository] })
export class PasskeyRecordsModule {}

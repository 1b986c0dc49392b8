import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module';
import { ClientsModule } from '../clients/clients.module';
import { RiskModule } from '../risk/risk.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TokensModule } from '../tokens/tokens.module';
import { ClientDeactivationModule } from '../tokens/client-deactivation.module';
import { KeysModule } from '../keys/keys.module';
import { JourneyRecordsModule } from './journey-records.module';
import { JourneyCompletion } from './journey-completion.service';
import { JourneyService } from './journey.service';
import { JourneyStateLoader } from './journey-state.loader';
import { TransactionAnswers } from './transaction-answers.service';
import { JourneysController } from './journeys.controller';
import { LockoutModule } from './lockout/lockout.module';
import { JOURNEY_STEPS, JourneyStep } from './steps/journey-step';
import { PasswordStep } from './steps/password.step';
import { SmsOtpStep } from './steps/sms-otp.step';
import { EmailOtpStep } from './steps/email-otp.step';
import { EmailModule } from '../mfa/email/email.module';
import { DeviceProofStep } from './steps/device-proof.step';
import { PushStep } from './steps/push.step';
import { EsignStep } from './steps/esign.step';
import { ConsentStep } from './steps/consent.step';
import { ConsentsModule } from '../consents/consents.module';
import { DeviceBindStep } from './steps/device-bind.step';
import { TotpStep } from './steps/totp.step';
import { RecoveryCodeStep } from './steps/recovery-code.step';
import { ResetUsernameStep } from './steps/reset-username.step';
import { SetPasswordStep } from './steps/set-password.step';
import { RecoveryCodesModule } from '../mfa/recovery-codes/recovery-codes.module';
import { TotpModule } from '../mfa/totp/totp.module';
import { PasskeyStep } from './steps/passkey.step';
import { PasskeyLoginStep } from './steps/passkey-login.step';
import { FederatedStep } from './steps/federated.step';
import { FederationModule } from '../federation/federation.module';
import { PasskeyEnrolStep } from './steps/passkey-enrol.step';
import { PasskeysModule } from '../mfa/passkeys/passkeys.module';
import { EsignRepository } from '../esign/esign.repository';
import { PushModule } from '../mfa/push/push.module';
import { DevicesModule } from '../devices/devices.module';
import { SmsDeliveriesModule } from '../mfa/sms/sms-deliveries.module';
import { SmsModule } from '../mfa/sms/sms.module';
import { MfaLockoutModule } from '../mfa/mfa-lockout.module';

/**
 * The steps a journey can take. A new step is a class registered here; the engine and the other steps do
 * not change. A new kind also needs its AUTH_STEP_KINDS value and auth_step_kind enum value (a migration),
 * a route and DTO in journeys.controller.ts, and its audit events (docs/architecture.md, "The journey engine").
 */
const STEPS = [
  PasswordStep,
  DeviceProofStep,
  SmsOtpStep,
  PushStep,
  EsignStep,
  DeviceBindStep,
  PasskeyEnrolStep,
  TotpStep,
  PasskeyStep,
  PasskeyLoginStep,
  RecoveryCodeStep,
  EmailOtpStep,
  ResetUsernameStep,
  SetPasswordStep,
  // After PASSKEY_LOGIN: a passwordless journey (method: passkey) starts with the first passwordless step.
  FederatedStep,
  ConsentStep,
];

@Module({
  imports: [
    DirectoryModule,
    RiskModule,
    SessionsModule,
    TokensModule,
    KeysModule,
    ClientsModule,
    SmsModule,
    TotpModule,
    RecoveryCodesModule,
    PushModule,
    DevicesModule,
    MfaLockoutModule,
    JourneyRecordsModule,
    LockoutModule,
    SmsDeliveriesModule,
    PasskeysModule,
    EmailModule,
    FederationModule,
    ConsentsModule,
    // ConsentRevocationService: the CONSENT step withdraws a granted scope left unticked.
    ClientDeactivationModule,
  ],
  controllers: [JourneysController],
  providers: [
    EsignRepository,
    JourneyCompletion,
    JourneyService,
    JourneyStateLoader,
    TransactionAnswers,
    ...STEPS,
    { provide: JOURNEY_STEPS, inject: STEPS, useFactory: (...steps: JourneyStep[]) => steps },
  ],
  exports: [JourneyService, DirectoryModule, SmsModule, EsignRepository, LockoutModule],
})
export class JourneysModule {}

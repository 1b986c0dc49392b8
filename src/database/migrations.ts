import { CoreSchema1764000000000 } from '../../migrations/1764000000000-CoreSchema';
import { OAuth1764000000001 } from '../../migrations/1764000000001-OAuth';
import { Journeys1764000000002 } from '../../migrations/1764000000002-Journeys';
import { SmsDeliveries1764000000003 } from '../../migrations/1764000000003-SmsDeliveries';
import { Jobs1764000000004 } from '../../migrations/1764000000004-Jobs';
import { DevicesAndEsign1764000000005 } from '../../migrations/1764000000005-DevicesAndEsign';
import { ClientLockout1764000000006 } from '../../migrations/1764000000006-ClientLockout';
import { DeviceTrustWindow1764000000007 } from '../../migrations/1764000000007-DeviceTrustWindow';
import { JourneysecFactorRules1796060665016 } from '../../migrations/1796060665016-JourneysecFactorRules';
import { RevocationCascades1796060670444 } from '../../migrations/1796060670444-RevocationCascades';
import { EngineJourneyPhases1796060728059 } from '../../migrations/1796060728059-EngineJourneyPhases';
import { PushChallenges1796065162518 } from '../../migrations/1796065162518-PushChallenges';
import { PerfTokensClientChanges1796071319356 } from '../../migrations/1796071319356-PerfTokensClientChanges';
import { SsoProviderSessions1796080059067 } from '../../migrations/1796080059067-SsoProviderSessions';
import { OutboxMessages1796080064475 } from '../../migrations/1796080064475-OutboxMessages';
import { ChainAuditTamperEvidence1796080082380 } from '../../migrations/1796080082380-ChainAuditTamperEvidence';
import { OutboxBackchannelLogout1796080625389 } from '../../migrations/1796080625389-OutboxBackchannelLogout';
import { ChainWebhookSubscriptions1796080894331 } from '../../migrations/1796080894331-ChainWebhookSubscriptions';
import { OutboxSetReceivers1796081129290 } from '../../migrations/1796081129290-OutboxSetReceivers';
import { OutboxSessionEndedClientIds1796084313172 } from '../../migrations/1796084313172-OutboxSessionEndedClientIds';
import { PasskeysCredentials1796082265145 } from '../../migrations/1796082265145-PasskeysCredentials';
import { RecoveryFactorResets1796082582340 } from '../../migrations/1796082582340-RecoveryFactorResets';
import { RecoveryApiTokens1796083711541 } from '../../migrations/1796083711541-RecoveryApiTokens';
import { EmailHelperEmailFactor1796092000000 } from '../../migrations/1796092000000-EmailHelperEmailFactor';
import { EmailHelperTotp1796092600000 } from '../../migrations/1796092600000-EmailHelperTotp';
import { EmailHelperRecoveryCodes1796093200000 } from '../../migrations/1796093200000-EmailHelperRecoveryCodes';
import { ForgotHelperPasswordReset1796094000000 } from '../../migrations/1796094000000-ForgotHelperPasswordReset';
import { EnrolHelperPasskeyEnrolStep1796094500000 } from '../../migrations/1796094500000-EnrolHelperPasskeyEnrolStep';
import { ClientPolicyColumns1796095000000 } from '../../migrations/1796095000000-ClientPolicyColumns';
import { ConsentHelperConsentRecords1796095200000 } from '../../migrations/1796095200000-ConsentHelperConsentRecords';
import { PairwiseHelperPseudonyms1796095300000 } from '../../migrations/1796095300000-PairwiseHelperPseudonyms';
import { ProofsHelperUsedJtisAndDpop1796095400000 } from '../../migrations/1796095400000-ProofsHelperUsedJtisAndDpop';
import { FederationTables1796095500000 } from '../../migrations/1796095500000-FederationTables';
import { ClientsHelperKeyClientsWithoutSecret1796096200000 } from '../../migrations/1796096200000-ClientsHelperKeyClientsWithoutSecret';
import { AuthorizationCodeDpopJkt1796096400000 } from '../../migrations/1796096400000-AuthorizationCodeDpopJkt';
import { EmailotpHelperEmailOtpStep1796094100000 } from '../../migrations/1796094100000-EmailotpHelperEmailOtpStep';

/** Migrations in order of their timestamps. Listed as classes (not a glob) so the same list works from ts and from dist/. */
export const MIGRATIONS = [
  CoreSchema1764000000000,
  OAuth1764000000001,
  Journeys1764000000002,
  SmsDeliveries1764000000003,
  Jobs1764000000004,
  DevicesAndEsign1764000000005,
  ClientLockout1764000000006,
  DeviceTrustWindow1764000000007,
  JourneysecFactorRules1796060665016,
  RevocationCascades1796060670444,
  EngineJourneyPhases1796060728059,
  PushChallenges1796065162518,
  PerfTokensClientChanges1796071319356,
  SsoProviderSessions1796080059067,
  OutboxMessages1796080064475,
  ChainAuditTamperEvidence1796080082380,
  OutboxBackchannelLogout1796080625389,
  ChainWebhookSubscriptions1796080894331,
  OutboxSetReceivers1796081129290,
  PasskeysCredentials1796082265145,
  RecoveryFactorResets1796082582340,
  RecoveryApiTokens1796083711541,
  OutboxSessionEndedClientIds1796084313172,
  EmailHelperEmailFactor1796092000000,
  EmailHelperTotp1796092600000,
  EmailHelperRecoveryCodes1796093200000,
  ForgotHelperPasswordReset1796094000000,
  EmailotpHelperEmailOtpStep1796094100000,
  EnrolHelperPasskeyEnrolStep1796094500000,
  ClientPolicyColumns1796095000000,
  ConsentHelperConsentRecords1796095200000,
  PairwiseHelperPseudonyms1796095300000,
  ProofsHelperUsedJtisAndDpop1796095400000,
  FederationTables1796095500000,
  ClientsHelperKeyClientsWithoutSecret1796096200000,
  AuthorizationCodeDpopJkt1796096400000,
];

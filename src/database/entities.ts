import { AuditLog } from '../audit/audit-log.entity';
import { TrustedDevice } from '../devices/trusted-device.entity';
import { AuthContext } from '../journeys/auth-context.entity';
import { AuthTransaction } from '../journeys/auth-transaction.entity';
import { DrsEvaluation } from '../risk/drs-evaluation.entity';
import { Session } from '../sessions/session.entity';
import { OAuthClient } from '../clients/oauth-client.entity';
import { AuthorizationCode } from '../tokens/authorization-code.entity';
import { SigningKey } from '../tokens/keys/signing-key.entity';
import { Token } from '../tokens/token.entity';

/** Every entity the data source maps; each is one table of migrations/. */
export const ENTITIES = [
  AuthContext,
  AuthTransaction,
  DrsEvaluation,
  Session,
  Token,
  TrustedDevice,
  AuditLog,
  OAuthClient,
  SigningKey,
  AuthorizationCode,
];

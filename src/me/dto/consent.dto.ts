import { ApiProperty } from '@nestjs/swagger';
import type { ConsentRecord } from '../../consents/consent-records.repository';
import { ValidationFailedError } from '../../common/problem';

export class ConsentScopeRecordDto {
  @ApiProperty({ example: 'profile' }) scope: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T19:00:00.000Z', description: 'First granted' })
  grantedAt: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-30T08:00:00.000Z', description: 'Last granted or withdrawn' })
  updatedAt: string;
  @ApiProperty({ example: false }) revoked: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: null }) revokedAt: string | null;
}

export class ClientConsentDto {
  @ApiProperty({ example: 'budget-app' }) clientId: string;
  @ApiProperty({ example: 'Budget App', description: "The application's name (its id when it no longer exists)" })
  clientName: string;
  @ApiProperty({ type: [ConsentScopeRecordDto] }) scopes: ConsentScopeRecordDto[];
}

export class ConsentListDto {
  @ApiProperty({ type: [ClientConsentDto], description: 'Per application, each scope allowed (and withdrawn)' })
  consents: ClientConsentDto[];
}

export class ConsentRevokedDto {
  @ApiProperty({ type: [String], example: ['openid', 'profile'], description: 'The scopes withdrawn' })
  scopes: string[];
  @ApiProperty({ example: 3, description: "The application's tokens that stopped working" })
  tokensRevoked: number;
}

/** Per client, in the order the repository lists them (client, then scope). */
export function toConsentList(records: ConsentRecord[], nameOf: (clientId: string) => string): ConsentListDto {
  const byClient = new Map<string, ClientConsentDto>();
  for (const record of records) {
    let entry = byClient.get(record.clientId);
    if (!entry) {
      entry = { clientId: record.clientId, clientName: nameOf(record.clientId), scopes: [] };
      byClient.set(record.clientId, entry);
    }
    entry.scopes.push({
      scope: record.scope,
      grantedAt: record.grantedAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
      revoked: record.revoked,
      revokedAt: record.revokedAt ? record.revokedAt.toISOString() : null,
    });
  }
  return { consents: [...byClient.values()] };
}

/** Path parameters: a client id and a scope as they are registered (no spaces, bounded), else 400. */
export function consentPath(clientId: string, scope?: string): void {
  const fields = [
    ...(/^[\x21-\x7e]{1,128}$/.test(clientId)
      ? []
      : [{ field: 'clientId', messages: ['clientId is not a client id'] }]),
    ...(scope === undefined || /^[\x21-\x7e]{1,128}$/.test(scope)
      ? []
      : [{ field: 'scope', messages: ['scope is not a scope'] }]),
  ];
  if (fields.length > 0) throw new ValidationFailedError(fields);
}

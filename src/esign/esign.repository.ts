import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { rowsOf, statementRows } from '../database/sql';

export interface EsignDocument {
  documentId: string;
  version: string;
  title: string;
  url: string;
  sha256: string;
}

/** The only code that touches esign_documents and esign_signatures. */
@Injectable()
export class EsignRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Active documents this customer has not signed (in that version), oldest first. */
  pendingFor(manager: EntityManager, cupid: string): Promise<EsignDocument[]> {
    // Prepared once per connection: every login's password step asks it.
    return statementRows<EsignDocument>(manager, {
      name: 'ciam_esign_pending',
      text: `SELECT d.document_id AS "documentId", d.version, d.title, d.url, d.sha256 FROM esign_documents d
        WHERE d.active AND NOT EXISTS (
          SELECT 1 FROM esign_signatures s WHERE s.cupid = $1 AND s.document_id = d.document_id AND s.version = d.version)
        ORDER BY d.created_at, d.document_id`,
      values: [cupid],
    });
  }

  async recordSignature(
    manager: EntityManager,
    signature: {
      cupid: string;
      document: EsignDocument;
      contextId: string;
      ip: string | null;
      userAgent: string | null;
      deviceId: string | null;
      at: Date;
    },
  ): Promise<string> {
    const [row] = await rowsOf<{ id: string }>(
      manager,
      `INSERT INTO esign_signatures (cupid, document_id, version, sha256, context_id, ip_address, user_agent, device_id, signed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [
        signature.cupid,
        signature.document.documentId,
        signature.document.version,
        signature.document.sha256,
        signature.contextId,
        signature.ip,
        signature.userAgent,
        signature.deviceId,
        signature.at,
      ],
    );
    return row.id;
  }

  /** Publishes a document version customers must sign; earlier versions of it stop being asked for. */
  async publish(document: EsignDocument): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`UPDATE esign_documents SET active = false WHERE document_id = $1 AND version <> $2`, [
        document.documentId,
        document.version,
      ]);
      await tx.query(
        `INSERT INTO esign_documents (document_id, version, title, url, sha256) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (document_id, version) DO UPDATE SET active = true`,
        [document.documentId, document.version, document.title, document.url, document.sha256],
      );
    });
  }
}

/**
 * The closed list of audit event types. Every event written to audit_logs is one of these; the table in
 * docs/audit-events.md describes each. Add a type here (and there) before writing a new event.
 */
export const AUDIT_EVENT_TYPES = {
  /** The service started and checked its schema; details: version, instance. */
  SERVICE_STARTED: 'service.started',
  /** An audit partition was created ahead of time; details: partition. */
  AUDIT_PARTITION_CREATED: 'audit.partition_created',
  /** An audit partition past retention was dropped; details: partition, retentionMonths. */
  AUDIT_PARTITION_DROPPED: 'audit.partition_dropped',
  /** A destructive scheduled job ran; details: job, rows, durationMs, slot. */
  JOB_COMPLETED: 'job.completed',
  /** An OAuth client was registered; details: type, grantTypes, redirectUris. */
  CLIENT_REGISTERED: 'client.registered',
  /** An OAuth client was deactivated. */
  CLIENT_DEACTIVATED: 'client.deactivated',
  /** A client failed to authenticate at an OAuth endpoint; details: endpoint, method, reason. */
  CLIENT_AUTHENTICATION_FAILED: 'client.authentication_failed',
  /** A signing key was created and made active; details: kid, alg, reason. */
  SIGNING_KEY_ACTIVATED: 'signing_key.activated',
  /** A signing key stopped signing (still published until publishUntil); details: kid, publishUntil. */
  SIGNING_KEY_RETIRED: 'signing_key.retired',
  /** Every signing key was re-sealed with the current key-encryption key; details: resealed, kekId. */
  SIGNING_KEYS_RESEALED: 'signing_key.resealed',
  /** A session began; details: amr, acr. */
  SESSION_CREATED: 'session.created',
  /** A session was revoked (its tokens end with it); details: reason, allSessions, deviceId. */
  SESSION_REVOKED: 'session.revoked',
  /** An authorization code was issued for a completed login; details: scope. */
  AUTHORIZATION_CODE_ISSUED: 'authorization_code.issued',
  /** A redeemed authorization code was presented again; what it issued is revoked (RFC 6749 §4.1.2). */
  AUTHORIZATION_CODE_REPLAYED: 'authorization_code.replayed',
  /** Tokens were issued; details: grantType, types, scope, accessTokenJti. */
  TOKENS_ISSUED: 'tokens.issued',
  /** A token request was refused; details: grantType, error, reason. */
  TOKEN_REQUEST_REJECTED: 'tokens.request_rejected',
  /** A refresh token was rotated; details: familyId, parentId. */
  REFRESH_TOKEN_ROTATED: 'refresh_token.rotated',
  /** A just-rotated refresh token was retried within the grace window and got the same successor. */
  REFRESH_TOKEN_GRACE_RETRY: 'refresh_token.grace_retry',
  /** A rotated refresh token was presented outside the grace window: family and session revoked. */
  REFRESH_TOKEN_REUSE_DETECTED: 'refresh_token.reuse_detected',
  /** A token was revoked (RFC 7009); details: tokenType. */
  TOKEN_REVOKED: 'token.revoked',
  /** The customer signed out at end_session. */
  LOGOUT: 'session.logout',
  /** A device-risk evaluation; details: recommendation, score, reasons, provider, latencyMs. */
  RISK_EVALUATED: 'risk.evaluated',
  /** The risk service did not answer; details: provider, failOpenToChallenge. */
  RISK_UNAVAILABLE: 'risk.unavailable',
  /** A login journey began; details: channel, scope, startedBy (api or authorize). */
  JOURNEY_STARTED: 'journey.started',
  /** A journey ended with an authorization code. */
  JOURNEY_COMPLETED: 'journey.completed',
  /** A journey failed for good; details: reason. */
  JOURNEY_FAILED: 'journey.failed',
  /** A transaction token was refused; details: step, reason (unknown, consumed, expired, foreign, out_of_order). */
  TRANSACTION_REJECTED: 'journey.transaction_rejected',
  /** The customer's password was verified. */
  PASSWORD_VERIFIED: 'credentials.verified',
  /**
   * Credentials were refused; details: reason (invalid, locked_out, account_locked, account_disabled), consecutiveFailures,
   * and the truth the caller is not told: passwordMatched, knownCustomer, directoryStatus.
   */
  PASSWORD_REJECTED: 'credentials.rejected',
  /** Failed logins locked an account or an IP address; details: subject kind, lockedUntil, failures. */
  LOCKOUT_ENGAGED: 'lockout.engaged',
  /** A device was bound to the customer; details: deviceId, thumbprint, name, platform, pushEnabled. */
  DEVICE_BOUND: 'device.bound',
  /** A binding was refused; details: thumbprint, reason (bound to another customer, key revoked, no second factor in this journey). */
  DEVICE_BIND_REFUSED: 'device.bind_refused',
  /** A bound device proved possession of its key; details: deviceId. */
  DEVICE_PROOF_VERIFIED: 'device.proof_verified',
  /** A device proof did not count (MFA comes back); details: reason, deviceId. */
  DEVICE_PROOF_REJECTED: 'device.proof_rejected',
  /** A push challenge was sent to the customer's devices; details: pushChallengeId, devices. */
  PUSH_SENT: 'mfa.push_sent',
  /** A device answered a push; details: pushChallengeId, deviceId, decision, accepted, reason. */
  PUSH_ANSWERED: 'mfa.push_answered',
  /** A push prompt's outcome was reported; details: outcome (approved, denied, rejected end the step; expired lets another prompt follow). */
  PUSH_COMPLETED: 'mfa.push_completed',
  /** The customer signed a document; details: documentId, version, sha256, deviceId, ip. */
  ESIGN_SIGNED: 'esign.signed',
  /** The customer declined to sign; the journey ends; details: documentId, version. */
  ESIGN_DECLINED: 'esign.declined',
  /** A trusted device was revoked; details: deviceId, reason. */
  DEVICE_REVOKED: 'device.revoked',
  /** A support agent read a customer's data; details: what (sessions, devices, audit, consents, ...), reason. */
  AGENT_VIEWED: 'agent.viewed',
  /** A one-time code was sent by SMS; details: provider, maskedPhone, send (1 = first, 2+ = resends). */
  SMS_OTP_SENT: 'mfa.sms_sent',
  /** An SMS could not be sent (or was refused by the budget); details: provider, reason. */
  SMS_OTP_SEND_FAILED: 'mfa.sms_send_failed',
  /** The customer entered the right code. */
  OTP_VERIFIED: 'mfa.otp_verified',
  /** A wrong or expired code; details: reason (invalid, expired), attempt, maxAttempts. */
  OTP_REJECTED: 'mfa.otp_rejected',
  /** A step retried with its spent transaction token and the same body got the stored answer again; details: step, action, status. */
  JOURNEY_RESPONSE_REPLAYED: 'journey.response_replayed',
  /** Wrong one-time codes of a customer reached the budget: MFA is locked; details: failures, windowSeconds, lockedUntil. */
  MFA_LOCKED: 'mfa.locked',
  /** A second factor was refused because the customer's MFA is locked; details: step, action, retryAfterSeconds. */
  MFA_REFUSED_LOCKED: 'mfa.refused_locked',
  /** A support agent lifted a customer's MFA lock and cleared its count; details: reason, wasLocked. */
  MFA_UNLOCKED: 'mfa.unlocked',
  /** A push was refused by its budget; details: scope (journey, customer), prompts, limit, retryAfterSeconds. */
  PUSH_LIMITED: 'mfa.push_limited',
  /** SSO: /oauth2/authorize issued a code under the browser's live session, no login; details: acr, prompt. */
  SSO_CODE_ISSUED: 'sso.code_issued',
  /** A step-up journey started for a live session; details: from (the session's acr), to (asked), startedBy, transactionSha256. */
  STEP_UP_STARTED: 'stepup.started',
  /** A step-up journey raised its session; details: from, to (acr), amr, transactionSha256. */
  STEP_UP_COMPLETED: 'stepup.completed',
  /** An outbox message reached its receiver; details: messageId, channel, destination, attempt. */
  OUTBOX_DELIVERED: 'outbox.delivered',
  /** An outbox delivery failed and will be tried again; details: messageId, channel, destination, attempt, error, nextAttemptAt. */
  OUTBOX_DELIVERY_FAILED: 'outbox.delivery_failed',
  /** An outbox message was given up (dead letter); details: messageId, channel, destination, attempt, error, reason (refused, max_attempts, max_age). */
  OUTBOX_DEAD_LETTERED: 'outbox.dead_lettered',
  /** An operator put a dead outbox message back to be delivered; details: messageId, channel, destination, by. */
  OUTBOX_REQUEUED: 'outbox.requeued',
  /** A registered client's settings changed; details: the fields set (backchannelLogoutUri, backchannelLogoutSessionRequired). */
  CLIENT_UPDATED: 'client.updated',
  /** A Shared Signals receiver was registered; details: receiverId, name, endpointUrl, audience, eventTypes. */
  SET_RECEIVER_REGISTERED: 'set_receiver.registered',
  /** A Shared Signals receiver was deactivated (it gets no more SETs); details: receiverId, name. */
  SET_RECEIVER_DEACTIVATED: 'set_receiver.deactivated',
  /** An admin subscribed a webhook endpoint to audit events; details: subscriptionId, name, url, eventTypes, personalData. */
  WEBHOOK_SUBSCRIPTION_CREATED: 'webhook.subscription_created',
  /** A webhook subscription was disabled (nothing more is sent to it); details: subscriptionId. */
  WEBHOOK_SUBSCRIPTION_DISABLED: 'webhook.subscription_disabled',
  /** A webhook subscription's signing secret was replaced (the old one stops at once); details: subscriptionId. */
  WEBHOOK_SECRET_ROTATED: 'webhook.secret_rotated',
  /** An agent asked for a reset of a customer's second factors that waits for a second agent; details: resetId, reason. */
  FACTORS_RESET_REQUESTED: 'factors.reset_requested',
  /** A customer's second factors were reset by support; details: resetId, reason, requestedBy, approvedBy, revoked (per kind). */
  FACTORS_RESET: 'factors.reset',
  /** A factor was removed through /me or the agent API; details: kind, factorId, reason. */
  FACTOR_REMOVED: 'factor.removed',
  /** An agent cleared a customer's password lockout (or suspension); details: reason, wasLocked, wasSuspended, failures. */
  ACCOUNT_UNLOCKED: 'account.unlocked',
  /** A customer created an API token; details: tokenId, name, scopes, expiresAt (never the value). */
  API_TOKEN_CREATED: 'api_token.created',
  /** An API token was revoked by its customer or an agent; details: tokenId, reason. */
  API_TOKEN_REVOKED: 'api_token.revoked',
  /** An agent blocked an API token; details: tokenId, reason. */
  API_TOKEN_BLOCKED: 'api_token.blocked',
  /** An email with a code was sent (verification or sign-in); details: purpose, provider, maskedEmail, send. */
  EMAIL_CODE_SENT: 'email.code_sent',
  /** An email with a code could not be sent (or was refused by the budget); details: purpose, provider, reason. */
  EMAIL_CODE_SEND_FAILED: 'email.code_send_failed',
  /** The customer confirmed an email address with its code; details: maskedEmail, replaced (a previous address). */
  EMAIL_VERIFIED: 'email.verified',
  /** A wrong or expired email verification code; details: reason (invalid, expired), attempt, maxAttempts. */
  EMAIL_VERIFICATION_REJECTED: 'email.verification_rejected',
  /** The customer's verified address was removed (by the customer or an agent); details: maskedEmail, reason. */
  EMAIL_REMOVED: 'email.removed',
  /** A notice about a change on the account was sent on another channel; details: notice, channel (email, sms). */
  CUSTOMER_NOTIFIED: 'customer.notified',
  /** A TOTP credential was confirmed by its first code; details: credentialId. */
  TOTP_ENROLLED: 'totp.enrolled',
  /** A wrong (or replayed) TOTP code; details: credentialId (when one was tried), phase (enrolment, login). */
  TOTP_REJECTED: 'totp.rejected',
  /** A TOTP code completed a journey's second factor; details: credentialId. */
  TOTP_VERIFIED: 'totp.verified',
  /** A TOTP credential was revoked; details: credentialId, reason. */
  TOTP_REVOKED: 'totp.revoked',
  /** A passkey was registered (/me); details: passkeyId, aaguid, backupEligible, backupState, transports, userVerified. */
  PASSKEY_REGISTERED: 'passkey.registered',
  /** A passkey registration was refused; details: reason (challenge, verification, duplicate). */
  PASSKEY_REGISTRATION_REJECTED: 'passkey.registration_rejected',
  /** A passkey assertion was verified in a journey; details: step, passkeyId, userVerified, backupState. */
  PASSKEY_VERIFIED: 'passkey.verified',
  /** A passkey assertion was refused; details: step, reason (unknown_credential, revoked, not_yours, invalid, account_disabled), passkeyId. */
  PASSKEY_REJECTED: 'passkey.rejected',
  /** The signature counter went backwards (a cloned authenticator, WebAuthn §6.1.1): refused; details: passkeyId, stored, presented. */
  PASSKEY_COUNTER_REGRESSED: 'passkey.counter_regressed',
  /** A passkey was revoked by the customer or an agent; details: passkeyId, by, reason. */
  PASSKEY_REVOKED: 'passkey.revoked',
  /** A new batch of recovery codes replaced the unused ones before it; details: batchId, count, revokedUnused. */
  RECOVERY_CODES_GENERATED: 'recovery_codes.generated',
  /** A recovery code passed a journey's second factor; details: codesLeft. */
  RECOVERY_CODE_USED: 'recovery_code.used',
  /** A wrong, used or revoked recovery code; details: attempt, maxAttempts. */
  RECOVERY_CODE_REJECTED: 'recovery_code.rejected',
  /** The unused recovery codes were revoked; details: count, reason. */
  RECOVERY_CODES_REVOKED: 'recovery_codes.revoked',
  /** The customer declined the offer of a passkey at the end of a sign-in (PASSKEY_ENROL "Not now"); details: none. */
  PASSKEY_ENROLMENT_DECLINED: 'passkey.enrolment_declined',
  /** A forgot-password journey named an account; details: knownCustomer, directoryStatus (the caller hears the same either way). */
  PASSWORD_RESET_STARTED: 'password.reset_started',
  /** A customer set a new password after proving a factor; details: directory, sessionsRevoked. */
  PASSWORD_RESET: 'password.reset',
  /** A new password was refused; details: reason (policy, unknown_customer), rules (the policy rules broken). */
  PASSWORD_RESET_REJECTED: 'password.reset_rejected',
  /** A client's secret was replaced; details: overlapSeconds, previousSecretExpiresAt (null: the old one was revoked at once). Never a secret or hash. */
  CLIENT_SECRET_ROTATED: 'client.secret_rotated',
  /** A deactivated client was served again (what its deactivation revoked stays revoked); details: none. */
  CLIENT_REACTIVATED: 'client.reactivated',
  /** An upstream identity provider was configured (issue 21); details: providerId, kind, issuer, acr, satisfiesMfa, confidentialClient. */
  FEDERATION_PROVIDER_CREATED: 'federation.provider_created',
  /** A provider's configuration changed; details: providerId, changed (field names; never the secret's value), active. */
  FEDERATION_PROVIDER_UPDATED: 'federation.provider_updated',
  /** A provider was deactivated (no new sign-ins through it); details: providerId. */
  FEDERATION_PROVIDER_DEACTIVATED: 'federation.provider_deactivated',
  /** A provider's subject was linked to a CUPID; details: providerId, linkId, by (journey, agent). */
  FEDERATION_LINKED: 'federation.linked',
  /** A link was removed; details: providerId, linkId, by (customer, agent). */
  FEDERATION_UNLINKED: 'federation.unlinked',
  /** A sign-in through a provider passed the FEDERATED step; details: providerId, linkId, acr, satisfiesMfa. */
  FEDERATION_SIGNED_IN: 'federation.signed_in',
  /** A provider's answer was refused; details: providerId, reason (provider_error, invalid_response, provider_unavailable, provider_inactive, account_disabled, unlinked, link_conflict), error (the provider's error code). */
  FEDERATION_REJECTED: 'federation.rejected',
  /**
   * A service asked the internal API for a customer's upstream access token (issue 21); details: providerId,
   * linkId, refreshed, or (FAILURE) reason (no_link, reconsent_required, upstream_unavailable), error. Never the token.
   */
  FEDERATION_TOKEN_HANDED_OUT: 'federation.token_handed_out',
  /** A provider refused a link's refresh for good (invalid_grant): the customer must consent again; details: providerId, linkId, error, trigger. */
  FEDERATION_RECONSENT_REQUIRED: 'federation.reconsent_required',
  /** The customer allowed a client scopes at the CONSENT step; details: scopes (granted), requested, forced (prompt=consent). */
  CONSENT_GRANTED: 'consent.granted',
  /** The customer allowed a client none of the scopes it asked; the journey ends with access_denied; details: requested. */
  CONSENT_DENIED: 'consent.denied',
  /** Consent to a client was withdrawn (one scope or all) by the customer, an agent or the client's deactivation; details: scopes, tokensRevoked, codesDeleted, sessions, reason (a deactivation: records instead of the counts). */
  CONSENT_REVOKED: 'consent.revoked',
  /** A new pseudonym version is current (pairwise subjects); details: version, algorithm, keyRef, previous, retired. */
  PSEUDONYM_VERSION_ADDED: 'pseudonym.version_added',
  /** A run of pseudonyms:migrate; details: fromVersion, toVersion, migrated, remaining. */
  PSEUDONYMS_MIGRATED: 'pseudonyms.migrated',
  /** The previous pseudonym version is current again; details: current, previous. */
  PSEUDONYM_VERSION_ROLLED_BACK: 'pseudonym.version_rolled_back',
  /** An agent resolved a client's pairwise sub to the customer; details: subjectType, found (never the pseudonym). */
  PSEUDONYM_RESOLVED: 'pseudonym.resolved',
} as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[keyof typeof AUDIT_EVENT_TYPES];
export const AUDIT_ACTOR_TYPES = ['CUSTOMER', 'AGENT', 'CLIENT', 'SYSTEM'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
export type AuditOutcome = 'SUCCESS' | 'FAILURE';

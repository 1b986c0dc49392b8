/**
 * Each operation's operationId: the name a generated client gives the call (`client.journeySendSms(...)`), so
 * it is chosen, not derived from class names. Keyed by `<Controller>.<method>`; a route missing here stops
 * `npm run openapi`, so every new route is named on purpose.
 */
export const OPERATION_IDS: Record<string, string> = {
  'HealthController.live': 'healthLive',
  'HealthController.ready': 'healthReady',
  'MetricsController.scrape': 'metrics',
  'AuthorizeController.viaQuery': 'authorize',
  'AuthorizeController.viaForm': 'authorizeByPost',
  'DiscoveryController.discovery': 'openidConfiguration',
  'DiscoveryController.jwks': 'jwks',
  'TokenController.token': 'token',
  'IntrospectionController.introspect': 'introspect',
  'RevocationController.revoke': 'revoke',
  'UserinfoController.get': 'userinfo',
  'UserinfoController.post': 'userinfoByPost',
  'EndSessionController.viaQuery': 'endSession',
  'EndSessionController.viaForm': 'endSessionByPost',
  'AgentController.sessionsOf': 'agentListSessions',
  'AgentController.revokeSession': 'agentRevokeSession',
  'AgentController.revokeAll': 'agentRevokeAllSessions',
  'AgentController.devicesOf': 'agentListDevices',
  'AgentController.revokeDevice': 'agentRevokeDevice',
  'AgentController.auditOf': 'agentAuditTrail',
  'AgentMfaController.standing': 'agentMfaStanding',
  'AgentMfaController.unlock': 'agentMfaUnlock',
  'AgentSignalsController.list': 'adminListSetReceivers',
  'AgentSignalsController.register': 'adminRegisterSetReceiver',
  'AgentSignalsController.deactivate': 'adminDeactivateSetReceiver',
  'WebhooksController.list': 'agentListWebhooks',
  'WebhooksController.create': 'agentCreateWebhook',
  'WebhooksController.disable': 'agentDisableWebhook',
  'WebhooksController.rotateSecret': 'agentRotateWebhookSecret',
  'AgentRecoveryController.factorsOf': 'agentListFactors',
  'AgentRecoveryController.revokeFactor': 'agentRevokeFactor',
  'AgentRecoveryController.reset': 'agentResetFactors',
  'AgentRecoveryController.approve': 'agentApproveFactorReset',
  'AgentRecoveryController.lockout': 'agentAccountLockout',
  'AgentRecoveryController.unlock': 'agentUnlockAccount',
  'FactorsController.list': 'meListFactors',
  'ApiTokensController.list': 'meListApiTokens',
  'ApiTokensController.create': 'meCreateApiToken',
  'ApiTokensController.revoke': 'meRevokeApiToken',
  'AgentApiTokensController.list': 'agentListApiTokens',
  'AgentApiTokensController.revoke': 'agentRevokeApiToken',
  'AgentApiTokensController.block': 'agentBlockApiToken',
  'FactorsController.remove': 'meRemoveFactor',
  'MeController.listSessions': 'meListSessions',
  'MeController.revokeSession': 'meRevokeSession',
  'MeController.revokeOthers': 'meRevokeOtherSessions',
  'MeController.listDevices': 'meListDevices',
  'MeController.revokeDevice': 'meRevokeDevice',
  'StepUpController.start': 'meStartStepUp',
  'EmailController.get': 'meGetEmail',
  'EmailController.add': 'meAddEmail',
  'EmailController.verify': 'meVerifyEmail',
  'EmailController.remove': 'meRemoveEmail',
  'TotpController.enrol': 'meEnrolTotp',
  'JourneysController.verifyTotp': 'journeyVerifyTotp',
  'JourneysController.recoveryCode': 'journeyRecoveryCode',
  'JourneysController.resetUsername': 'journeyResetUsername',
  'ServiceApiTokensController.create': 'serviceCreateApiToken',
  'ServiceApiTokensController.list': 'serviceListApiTokens',
  'ServiceApiTokensController.revoke': 'serviceRevokeApiToken',
  'JourneysController.setPassword': 'journeySetPassword',
  'RecoveryCodesController.regenerate': 'meRegenerateRecoveryCodes',
  'TotpController.confirm': 'meConfirmTotp',
  'TotpController.remove': 'meRemoveTotp',
  'JourneysController.start': 'journeyStart',
  'JourneysController.password': 'journeyPassword',
  'JourneysController.sendSms': 'journeySendSms',
  'JourneysController.resendSms': 'journeyResendSms',
  'JourneysController.verifySms': 'journeyVerifySms',
  'JourneysController.deviceProof': 'journeyDeviceProof',
  'JourneysController.sendPush': 'journeySendPush',
  'JourneysController.pollPush': 'journeyPollPush',
  'JourneysController.esign': 'journeyEsign',
  'JourneysController.bindDevice': 'journeyBindDevice',
  'JourneysController.passkeyOptions': 'journeyPasskeyOptions',
  'JourneysController.verifyPasskey': 'journeyVerifyPasskey',
  'JourneysController.passkeyLogin': 'journeyPasskeyLogin',
  'JourneysController.passkeyLoginOptions': 'journeyPasskeyLoginOptions',
  'PasskeysController.list': 'meListPasskeys',
  'PasskeysController.registrationOptions': 'mePasskeyRegistrationOptions',
  'PasskeysController.register': 'meRegisterPasskey',
  'PasskeysController.revoke': 'meRevokePasskey',
  'PushController.answer': 'deviceAnswerPush',
};

/**
 * An operationId factory for SwaggerModule: the chosen name, or Nest's `<Controller>_<method>` reported to
 * `missing` (npm run openapi refuses to write a document with gaps; the live Swagger UI still serves it).
 */
export function operationIds(missing: string[]): (controllerKey: string, methodKey: string) => string {
  return (controllerKey, methodKey) => {
    const id = OPERATION_IDS[`${controllerKey}.${methodKey}`];
    if (id) return id;
    missing.push(`operationId for ${controllerKey}.${methodKey} (src/openapi-operation-ids.ts)`);
    return `${controllerKey}_${methodKey}`;
  };
}

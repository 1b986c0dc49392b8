/** A push notification asking the customer to approve a sign-in on a bound device. */
export interface PushMessage {
  /** The device's push address (an FCM/APNs registration token, as the device registered it). */
  to: string;
  /** What the device shows and signs back; never a secret. */
  data: {
    /** transaction-approval: a step-up for a payment; the device shows `transaction` and signs its `hash`. */
    type: 'login-approval' | 'transaction-approval';
    pushChallengeId: string;
    journeyId: string;
    clientName: string;
    ip: string | null;
    expiresAt: string;
    transaction?: { amount: string; currency: string; payee: string; hash: string };
  };
}

export class PushDeliveryError extends Error {
  constructor(
    readonly provider: string,
    reason: string,
  ) {
    super(`push via ${provider} not sent: ${reason}`);
    this.name = 'PushDeliveryError';
  }
}

/** The push port. Adapters: log (development outbox), http (an FCM-style JSON webhook). */
export abstract class PushSender {
  abstract readonly name: string;
  abstract send(message: PushMessage): Promise<void>;
}

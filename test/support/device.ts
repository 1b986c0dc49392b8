import { calculateJwkThumbprint, CompactSign, CryptoKey, exportJWK, generateKeyPair, JWK } from 'jose';

/** A phone with a P-256 key pair, as the mobile app would hold it (private key never leaves it). */
export class TestDevice {
  private constructor(
    readonly publicJwk: JWK,
    readonly thumbprint: string,
    private readonly privateKey: CryptoKey,
  ) {}

  static async create(): Promise<TestDevice> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return new TestDevice(jwk, await calculateJwkThumbprint(jwk), privateKey);
  }

  /** Compact JWS over a JSON payload, with the key's thumbprint as kid. */
  sign(payload: Record<string, unknown>): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: this.thumbprint })
      .sign(this.privateKey);
  }
}

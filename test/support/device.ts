import { calculateJwkThumbprint, CompactSign, CryptoKey, exportJWK, generateKeyPair, JWK } from 'jose';

/** An EC P-256 public key as exported: the members openapi.yaml's DevicePublicKeyDto requires are always set. */
type PublicP256Jwk = JWK & { kty: string; crv: string; x: string; y: string };

/** A phone with a P-256 key pair, as the mobile app would hold it (private key never leaves it). */
export class TestDevice {
  private constructor(
    readonly publicJwk: PublicP256Jwk,
    readonly thumbprint: string,
    private readonly privateKey: CryptoKey,
  ) {}

  static async create(): Promise<TestDevice> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = (await exportJWK(publicKey)) as PublicP256Jwk;
    return new TestDevice(jwk, await calculateJwkThumbprint(jwk), privateKey);
  }

  /** Compact JWS over a JSON payload, with the key's thumbprint as kid. */
  sign(payload: Record<string, unknown>): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: this.thumbprint })
      .sign(this.privateKey);
  }
}

// This browser's device key for binding (DEVICE_BIND) and trusted-device sign-in (DEVICE_PROOF): an ECDSA
// P-256 pair made by WebCrypto with a NON-extractable private key, kept as a CryptoKey object in IndexedDB
// (structured clone keeps it usable and still non-extractable), so script can sign with it but never read it.
const DB_NAME = 'ciam-login';
const STORE = 'device-keys';
const RECORD = 'device';

export interface DeviceKey {
  privateKey: CryptoKey;
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** RFC 7638 thumbprint of the public key. */
  thumbprint: string;
  /** Set once the service accepted the binding. */
  bound: boolean;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export async function loadDeviceKey(): Promise<DeviceKey | null> {
  try {
    return ((await withStore('readonly', (store) => store.get(RECORD))) as DeviceKey | undefined) ?? null;
  } catch {
    return null; // no IndexedDB (private mode): the browser simply is not a bound device
  }
}

export async function saveDeviceKey(key: DeviceKey): Promise<void> {
  await withStore('readwrite', (store) => store.put(key, RECORD));
}

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const array = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (const byte of array) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A new key pair; the private half can never be exported (extractable: false). */
export async function createDeviceKey(): Promise<DeviceKey> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x!, y: jwk.y! };
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y });
  const thumbprint = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
  return { privateKey: pair.privateKey, publicJwk, thumbprint, bound: false };
}

/**
 * A compact JWS (RFC 7515) with ES256: WebCrypto's ECDSA signature is already the raw r||s form JWS
 * wants (RFC 7518 §3.4), so no DER conversion is needed.
 */
export async function signJws(key: DeviceKey, payload: Record<string, unknown>): Promise<string> {
  const encoder = new TextEncoder();
  const header = base64url(encoder.encode(JSON.stringify({ alg: 'ES256', kid: key.thumbprint })));
  const body = base64url(encoder.encode(JSON.stringify(payload)));
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey,
    encoder.encode(`${header}.${body}`),
  );
  return `${header}.${body}.${base64url(signature)}`;
}

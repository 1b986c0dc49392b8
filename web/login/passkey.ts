// WebAuthn in the browser (no library: Chromium, Firefox and Safari parse the JSON options themselves,
// WebAuthn Level 3 §5.1.9-10). The server sends PublicKeyCredentialRequestOptionsJSON and verifies the
// assertion's toJSON(); nothing here is secret (the private key never leaves the authenticator).

/** Whether this browser can run a passkey ceremony with JSON options. */
export function passkeysSupported(): boolean {
  return (
    typeof window.PublicKeyCredential === 'function' &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function'
  );
}

/** Asks the authenticator to sign the options' challenge; null when the customer cancelled or it failed. */
export async function getAssertion(publicKey: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  try {
    const credential = (await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(
        publicKey as unknown as PublicKeyCredentialRequestOptionsJSON,
      ),
    })) as PublicKeyCredential | null;
    return credential ? (credential.toJSON() as unknown as Record<string, unknown>) : null;
  } catch {
    // NotAllowedError (cancelled, timed out, no passkey for this site) and the like: the page offers a retry.
    return null;
  }
}

/** Whether this browser can create a passkey from JSON options (the PASSKEY_ENROL offer). */
export function passkeyCreationSupported(): boolean {
  return (
    typeof window.PublicKeyCredential === 'function' &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
  );
}

/** Asks the authenticator to create a passkey for the creation options; null when cancelled or it failed. */
export async function createCredential(publicKey: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  try {
    const credential = (await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(
        publicKey as unknown as PublicKeyCredentialCreationOptionsJSON,
      ),
    })) as PublicKeyCredential | null;
    return credential ? (credential.toJSON() as unknown as Record<string, unknown>) : null;
  } catch {
    // NotAllowedError (cancelled), InvalidStateError (a passkey for this account exists here already) and the like.
    return null;
  }
}

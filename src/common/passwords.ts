import { hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane): @node-rs/argon2's defaults. */
export function hashSecret(secret: string): Promise<string> {
  return hash(secret);
}

/** A hash of nothing anyone knows: verified against when the account or client does not exist, so the
 * time to answer does not tell whether it does. */
const DECOY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$lTAsxFuPGpZJIZJv66gSMQ$1JaGI6hwfV9AooWLOm3YUjzVuumZN7ZtL2SWB4N2Jyc';

/** Constant-time verification (inside argon2). `hashed` undefined verifies against a decoy and fails. */
export async function verifySecret(hashed: string | null | undefined, secret: string): Promise<boolean> {
  try {
    const ok = await verify(hashed ?? DECOY_HASH, secret);
    return ok && Boolean(hashed);
  } catch {
    return false;
  }
}

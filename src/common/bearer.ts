/** RFC 6750 §2.1: the token of an `Authorization: Bearer <token>` header, or null. */
export function parseBearer(authorization: string | undefined): string | null {
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization ?? '');
  return match ? match[1] : null;
}

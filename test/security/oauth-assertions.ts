/** RFC 6749 §5.2: the error JSON, never cached, and nothing else in the body. */
export async function expectOAuthError(
  response: Response,
  status: number,
  error: string,
): Promise<{ error: string; error_description: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = await response.json();
  expect(body).toEqual({ error, error_description: expect.any(String) });
  return body as { error: string; error_description: string };
}

/** An error the authorization endpoint shows instead of redirecting (RFC 6749 §4.1.2.1). */
export async function expectShownNotRedirected(response: Response, error = 'invalid_request'): Promise<void> {
  expect(response.headers.get('location')).toBeNull();
  await expectOAuthError(response, 400, error);
}

/** An error the authorization endpoint sends back to the client's registered redirect URI. */
export function redirectedError(response: Response, redirectUri: string): URLSearchParams {
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') ?? 'about:blank');
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  return location.searchParams;
}

import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A real oidc-provider (test/support/upstream-op.mjs) in a child process on loopback, signing in without a page. */
export interface UpstreamSignInOp {
  issuer: string;
  clientSecret(clientId: 'ciam' | 'other'): string;
  /** The account the next sign-in at the provider signs in as. */
  signInAs(sub: string): Promise<void>;
  /**
   * Follows an authorization URL as a browser would (the provider's cookies kept, its interaction automatic) up to
   * the redirect to `callbackPrefix`; answers that redirect's query string.
   */
  authorize(authorizationUrl: string, callbackPrefix: string): Promise<string>;
  close(): Promise<void>;
}

export async function startUpstreamSignInOp(redirectUri: string): Promise<UpstreamSignInOp> {
  // Started by node itself, not jest's module loader: oidc-provider is ESM.
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'upstream-op.mjs')], {
    env: { ...process.env, UPSTREAM_REDIRECT_URI: redirectUri },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => reject(new Error(`the upstream provider exited (${code}): ${stderr}`)));
  });
  return {
    issuer,
    clientSecret: (clientId) => `${clientId}-upstream-secret-0123456789`,
    signInAs: async (sub) => {
      const response = await fetch(`${issuer}/_test/account`, { method: 'POST', body: JSON.stringify({ sub }) });
      if (response.status !== 204) throw new Error(`_test/account answered ${response.status}`);
    },
    authorize: async (authorizationUrl, callbackPrefix) => {
      const cookies = new Map<string, string>();
      let url = authorizationUrl;
      for (let hop = 0; hop < 12; hop += 1) {
        if (url.startsWith(callbackPrefix)) return new URL(url).search.slice(1);
        const response = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
        });
        for (const header of response.headers.getSetCookie()) {
          const [pair] = header.split(';');
          const index = pair.indexOf('=');
          cookies.set(pair.slice(0, index), pair.slice(index + 1));
        }
        const location = response.headers.get('location');
        if (!location)
          throw new Error(`${url} answered ${response.status} without a redirect: ${await response.text()}`);
        url = new URL(location, url).toString();
      }
      throw new Error('too many redirects at the upstream provider');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

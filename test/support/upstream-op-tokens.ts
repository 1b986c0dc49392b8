import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** A real oidc-provider (test/support/upstream-op-tokens.mjs) running in a child process on loopback. */
export interface UpstreamOp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Tokens the provider issued for `sub` under a new grant (as after a sign-in with offline_access). */
  mint(
    sub: string,
  ): Promise<{ access_token: string; refresh_token: string; token_type: string; expires_in: number; scope: string }>;
  /** How many refresh_token grants the provider's token endpoint answered. */
  stats(): Promise<{ refreshes: number; refreshSuccesses: number; refreshErrors: number }>;
  /** Delays the provider's token endpoint by `ms` (0: no delay). */
  slow(ms: number): Promise<void>;
  /** While on, the provider's token endpoint answers 503 temporarily_unavailable. */
  unavailable(on: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstreamOp(options: { accessTtlSeconds?: number } = {}): Promise<UpstreamOp> {
  const clientId = 'ciam';
  const clientSecret = 'upstream-client-secret-0123456789';
  // Started by node itself, not jest's module loader: oidc-provider is ESM.
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'upstream-op-tokens.mjs')], {
    env: {
      ...process.env,
      UPSTREAM_CLIENT_ID: clientId,
      UPSTREAM_CLIENT_SECRET: clientSecret,
      UPSTREAM_ACCESS_TTL: String(options.accessTtlSeconds ?? 120),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => reject(new Error(`the upstream provider exited (${code}): ${stderr}`)));
  });
  const json = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${issuer}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    issuer,
    clientId,
    clientSecret,
    mint: (sub) => json('/_test/grants', { sub }),
    stats: () => json('/_test/stats'),
    slow: async (ms) => void (await json('/_test/slow', { ms })),
    unavailable: async (on) => void (await json('/_test/unavailable', { on })),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

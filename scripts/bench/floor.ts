/**
 * npm run bench:floor: what one HTTP request costs on this machine before any of the service's work, measured
 * the way bench:http measures the service (same load generator, 16 workers, the server pinned to CPU 0 with
 * BENCH_PIN=1, its CPU from /proc per request): Fastify alone answering a GET of a small JSON document and a
 * form POST with a Basic header (floor-server.cjs). The service's discovery and introspection, in the same
 * sitting, less these, are what Nest, the edge's checks and the service's own code add.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstFreePort } from '../../src/database/embedded-postgres';
import { LOAD_CPU, pin, SERVER_CPU } from './pin';

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const WORKERS = Number(process.env.BENCH_HTTP_WORKERS ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_HTTP_WARMUP_SECONDS ?? 2);

/** The process's user + system CPU in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function loop(url: string, init: RequestInit, seconds: number): Promise<number> {
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < deadline) {
        const response = await fetch(url, init);
        await response.text();
        if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
        done += 1;
      }
    }),
  );
  return done;
}

async function main(): Promise<void> {
  pin(process.pid, LOAD_CPU);
  const port = await firstFreePort(4700);
  const server = spawn(process.execPath, [join(__dirname, 'floor-server.cjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  pin(server.pid, SERVER_CPU);
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i += 1) {
      if (
        await fetch(`${base}/.well-known/openid-configuration`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const requests: Array<[string, string, RequestInit]> = [
      ['GET of a JSON document (as discovery)', '/.well-known/openid-configuration', {}],
      [
        'form POST with Basic (as introspection)',
        '/oauth2/introspect',
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from('bench-service:bench-service-secret-0123456789').toString('base64')}`,
          },
          body: 'token=bench-token-0123456789abcdef0123456789abcdef&token_type_hint=access_token',
        },
      ],
    ];
    console.log(`| request, Fastify alone (${WORKERS} workers, ${SECONDS} s) | requests/s | server CPU ms/request |`);
    console.log('|---|---|---|');
    for (const [label, path, init] of requests) {
      await loop(`${base}${path}`, init, WARMUP_SECONDS);
      const before = cpuMs(server.pid!);
      const started = Date.now();
      const done = await loop(`${base}${path}`, init, SECONDS);
      const cpu = cpuMs(server.pid!) - before;
      console.log(`| ${label} | ${Math.round(done / ((Date.now() - started) / 1000))} | ${(cpu / done).toFixed(3)} |`);
    }
  } finally {
    server.kill();
  }
}

void main();

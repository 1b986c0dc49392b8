import { execFileSync } from 'node:child_process';

/**
 * BENCH_PIN=1: the service, PostgreSQL and slapd share CPU 0 and the load generator (this process) takes CPU 1,
 * as issue 14's side-by-side measurement did; the queries benchmark runs on CPU 0 with PostgreSQL (queries.ts).
 * Without it the load generator's fetch loops compete with the service for the same two cores, and rates say as
 * much about the generator as about the service.
 * taskset -a pins every thread of a running process; threads and processes it creates later (PostgreSQL's
 * backends, libuv's pool) inherit the affinity.
 */
export const PINNED = process.env.BENCH_PIN === '1';
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

export function pin(pid: number | undefined, cpu: string): void {
  if (!PINNED || pid === undefined) return;
  execFileSync('taskset', ['-a', '-cp', cpu, String(pid)], { stdio: 'ignore' });
}

/**
 * Every running process whose command line matches, and their children: the embedded PostgreSQL's postmaster
 * (whose later backends inherit its affinity) and the backends already open (whose command lines do not name
 * the data directory).
 */
export function pinMatching(pattern: string, cpu: string): void {
  if (!PINNED) return;
  const matching = (args: string[]) => {
    try {
      return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    } catch {
      return []; // none running (an external BENCH_DATABASE_URL)
    }
  };
  for (const pid of matching(['-f', pattern])) {
    pin(pid, cpu);
    for (const child of matching(['-P', String(pid)])) pin(child, cpu);
  }
}

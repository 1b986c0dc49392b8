/**
 * What one benchmark phase cost, counted by the parts themselves rather than by the load generator's
 * clock (which the 2 shared cores make noisy): statements from PostgreSQL (pg_stat_statements, which
 * also counts BEGIN and COMMIT: one call is one round trip), the service's CPU from its own
 * process.cpuUsage() (prom-client's process_cpu_seconds_total at /metrics), and PostgreSQL's CPU from
 * /proc (the postmaster and every backend, those that exited included through the postmaster's
 * cutime/cstime) when the server runs on this machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { DataSource } from 'typeorm';

export interface Snapshot {
  statements: number | null;
  /** Connections PostgreSQL accepted for this database (pg_stat_database.sessions): a pool that churns pays a start-up each. */
  sessions: number | null;
  serviceCpuMs: number | null;
  /** The kernel's part of serviceCpuMs (system time: socket reads and writes, loopback delivery, epoll). */
  serviceSystemCpuMs: number | null;
  postgresCpuMs: number | null;
  /** The service's threads (/proc/<pid>/task) by thread id, when its process is on this machine. */
  threads: Map<number, ThreadTicks> | null;
}

export interface PhaseCost {
  statementsPerOp: number | null;
  /** Connections opened during the phase (not per operation): 0 once the service's pool is warm. */
  connectionsOpened: number | null;
  serviceCpuMsPerOp: number | null;
  /** Of serviceCpuMsPerOp, what the kernel spent for the service (system time). */
  serviceSystemCpuMsPerOp: number | null;
  postgresCpuMsPerOp: number | null;
  /** Of serviceCpuMsPerOp, the main thread's (JavaScript, the event loop). */
  serviceMainThreadCpuMsPerOp: number | null;
  /**
   * Of serviceCpuMsPerOp, threads the service started after it was ready: libuv's thread pool, which Node
   * creates on its first use (the file directory's argon2id verifications run there, and nothing else on the
   * paths measured). The rest is the main thread and the threads Node starts with (V8's compiler and garbage
   * collector helpers).
   */
  servicePoolCpuMsPerOp: number | null;
}

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

export class Counters {
  private statementsAvailable = false;
  private postmasterPid: number | null = null;
  private service: { pid: number; startTicks: number } | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Enables what the server allows: pg_stat_statements needs shared_preload_libraries (bench-db.ts sets it). */
  async init(): Promise<void> {
    try {
      await this.dataSource.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await this.dataSource.query('SELECT count(*) FROM pg_stat_statements');
      this.statementsAvailable = true;
    } catch {
      process.stderr.write('pg_stat_statements is not loaded: statements per operation are not counted\n');
    }
    try {
      const [{ pid }] = await this.dataSource.query('SELECT pg_backend_pid() AS pid');
      const parent = Number(statFields(Number(pid))[1]);
      if (readFileSync(`/proc/${parent}/comm`, 'utf8').trim().startsWith('postgres')) this.postmasterPid = parent;
    } catch {
      process.stderr.write('PostgreSQL is not on this machine: its CPU per operation is not measured\n');
    }
  }

  /** The service's process: its CPU is split by thread from here on (threadSplit). */
  watchService(pid: number | undefined): void {
    this.service = null;
    if (pid === undefined) return;
    try {
      this.service = { pid, startTicks: Number(statFields(pid)[19]) };
    } catch {
      // not on this machine
    }
  }

  async snapshot(serviceBase: string): Promise<Snapshot> {
    let statements: number | null = null;
    if (this.statementsAvailable) {
      // Every statement the service sent to this database; the benchmark's own reads of the view are left out.
      const [row] = await this.dataSource.query(
        `SELECT COALESCE(sum(calls), 0)::bigint AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%' AND s.query NOT ILIKE '%pg_backend_pid%'`,
      );
      statements = Number(row.n);
    }
    const [db] = await this.dataSource.query(
      'SELECT sessions::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    const cpu = await serviceCpuMs(serviceBase);
    return {
      statements,
      sessions: Number(db.n),
      serviceCpuMs: cpu.total,
      serviceSystemCpuMs: cpu.system,
      postgresCpuMs: this.postgresCpuMs(),
      threads: this.service ? threadTicks(this.service.pid) : null,
    };
  }

  /**
   * CPU milliseconds of the service's main thread, and of libuv's thread pool, between two snapshots. The pool's
   * threads are told from Node's own (V8's compiler and garbage collector helpers) by when they started: Node
   * starts its own before the first line of JavaScript runs, within the process's first half second; libuv
   * starts the pool at its first use, from JavaScript, seconds into the service's start-up. (Were the pool ever
   * started earlier, its work would count as Node's own: the split can overstate what is outside the pool, never
   * understate it.)
   */
  threadSplit(before: Snapshot, after: Snapshot): { main: number; pool: number } | null {
    if (!this.service || !before.threads || !after.threads) return null;
    let main = 0;
    let pool = 0;
    for (const [tid, thread] of after.threads) {
      const spent = ((thread.ticks - (before.threads.get(tid)?.ticks ?? 0)) * 1000) / TICKS_PER_SECOND;
      if (tid === this.service.pid) main += spent;
      else if (thread.startTicks > this.service.startTicks + NODE_START_TICKS) pool += spent;
    }
    return { main, pool };
  }

  private postgresCpuMs(): number | null {
    if (this.postmasterPid === null) return null;
    try {
      const own = statFields(this.postmasterPid);
      // Fields (after the command): 11 utime, 12 stime, 13 cutime, 14 cstime (0-based from the state field).
      let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
      for (const child of childrenOf(this.postmasterPid)) {
        try {
          const fields = statFields(child);
          ticks += Number(fields[11]) + Number(fields[12]);
        } catch {
          // exited between the listing and the read: its time is in the postmaster's cutime now
        }
      }
      return (ticks * 1000) / TICKS_PER_SECOND;
    } catch {
      return null;
    }
  }
}

export function costPerOperation(
  before: Snapshot,
  after: Snapshot,
  operations: number,
  threads: { main: number; pool: number } | null = null,
): PhaseCost {
  const per = (a: number | null, b: number | null, digits: number) =>
    a === null || b === null || operations === 0 ? null : Number(((b - a) / operations).toFixed(digits));
  return {
    statementsPerOp: per(before.statements, after.statements, 1),
    // The benchmark's own snapshot connection is open throughout: what opened in between is the service's.
    connectionsOpened: before.sessions === null || after.sessions === null ? null : after.sessions - before.sessions,
    serviceCpuMsPerOp: per(before.serviceCpuMs, after.serviceCpuMs, 2),
    serviceSystemCpuMsPerOp: per(before.serviceSystemCpuMs, after.serviceSystemCpuMs, 2),
    postgresCpuMsPerOp: per(before.postgresCpuMs, after.postgresCpuMs, 2),
    serviceMainThreadCpuMsPerOp: threads ? per(0, threads.main, 2) : null,
    servicePoolCpuMsPerOp: threads ? per(0, threads.pool, 2) : null,
  };
}

/** The service's process.cpuUsage() (user + system, and system alone), as prom-client exposes it. */
async function serviceCpuMs(base: string): Promise<{ total: number | null; system: number | null }> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const read = (name: string) => {
      const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      return match ? Number(match[1]) * 1000 : null;
    };
    return { total: read('process_cpu_seconds_total'), system: read('process_cpu_system_seconds_total') };
  } catch {
    return { total: null, system: null };
  }
}

interface ThreadTicks {
  /** utime + stime. */
  ticks: number;
  /** When the thread started, in ticks since boot. */
  startTicks: number;
}

/** Node's own threads start within this many ticks of the process (threadSplit). */
const NODE_START_TICKS = 50;

/** Each of a process's threads' CPU and start (a thread that ended meanwhile is left out). */
function threadTicks(pid: number): Map<number, ThreadTicks> | null {
  try {
    const ticks = new Map<number, ThreadTicks>();
    for (const name of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${name}/stat`, 'utf8');
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        ticks.set(Number(name), { ticks: Number(fields[11]) + Number(fields[12]), startTicks: Number(fields[19]) });
      } catch {
        // ended between the listing and the read
      }
    }
    return ticks;
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat split after the command name (which may hold spaces): [state, ppid, ...]. */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((child) => {
        try {
          return Number(statFields(child)[1]) === pid;
        } catch {
          return false;
        }
      });
  }
}

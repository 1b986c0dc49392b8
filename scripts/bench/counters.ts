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
}

export interface PhaseCost {
  statementsPerOp: number | null;
  /** Connections opened during the phase (not per operation): 0 once the service's pool is warm. */
  connectionsOpened: number | null;
  serviceCpuMsPerOp: number | null;
  /** Of serviceCpuMsPerOp, what the kernel spent for the service (system time). */
  serviceSystemCpuMsPerOp: number | null;
  postgresCpuMsPerOp: number | null;
}

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

export class Counters {
  private statementsAvailable = false;
  private postmasterPid: number | null = null;

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
    };
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

export function costPerOperation(before: Snapshot, after: Snapshot, operations: number): PhaseCost {
  const per = (a: number | null, b: number | null, digits: number) =>
    a === null || b === null || operations === 0 ? null : Number(((b - a) / operations).toFixed(digits));
  return {
    statementsPerOp: per(before.statements, after.statements, 1),
    // The benchmark's own snapshot connection is open throughout: what opened in between is the service's.
    connectionsOpened: before.sessions === null || after.sessions === null ? null : after.sessions - before.sessions,
    serviceCpuMsPerOp: per(before.serviceCpuMs, after.serviceCpuMs, 2),
    serviceSystemCpuMsPerOp: per(before.serviceSystemCpuMs, after.serviceSystemCpuMs, 2),
    postgresCpuMsPerOp: per(before.postgresCpuMs, after.postgresCpuMs, 2),
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

import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { firstFreePort } from '../../src/database/embedded-postgres';

export const LDAP_SUFFIX = 'dc=example,dc=test';
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_SUFFIX}`;
export const LDAP_ADMIN_PASSWORD = 'slapd-test-admin-pw';
export const LDAP_PEOPLE = `ou=people,${LDAP_SUFFIX}`;

export interface LdapCustomer {
  uid: string;
  password: string;
  cupid: string;
  mobile?: string;
  mail?: string;
  status?: 'ACTIVE' | 'LOCKED' | 'DISABLED';
  mfaRequired?: boolean;
}

/** The test customers: the same people as the development file directory. */
export const LDAP_CUSTOMERS: LdapCustomer[] = [
  {
    uid: 'alice',
    password: 'alice-password',
    cupid: 'CUPID-ALICE-0001',
    mobile: '+447700900001',
    mail: 'alice@example.test',
  },
  {
    uid: 'bob',
    password: 'bob-password',
    cupid: 'CUPID-BOB-0002',
    mobile: '+447700900002',
    mail: 'bob@example.test',
    mfaRequired: true,
  },
  { uid: 'carol', password: 'carol-password', cupid: 'CUPID-CAROL-0003', mobile: '+447700900003', status: 'LOCKED' },
  { uid: 'dave', password: 'dave-password', cupid: 'CUPID-DAVE-0004', status: 'DISABLED' },
];

export interface Slapd {
  url: string;
  /** The server's process id: SIGSTOP it to hang the directory (SIGCONT before stop()). */
  pid: number;
  /** Environment that points the service's ldap adapter at this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const SLAPD = '/usr/sbin/slapd';

/**
 * A real OpenLDAP server (Debian's slapd) in a temporary directory on a free loopback port, loaded with
 * LDAP_CUSTOMERS. `.ci/run` installs slapd; a missing binary fails the test run, it never skips it.
 */
export async function startSlapd(customers: LdapCustomer[] = LDAP_CUSTOMERS): Promise<Slapd> {
  if (!existsSync(SLAPD)) throw new Error('slapd is not installed: apt-get install -y slapd ldap-utils (see .ci/run)');
  const dir = mkdtempSync(join(tmpdir(), 'ciam-slapd-'));
  mkdirSync(join(dir, 'db'));
  const port = await firstFreePort(0);
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/nis.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 104857600',
      `suffix "${LDAP_SUFFIX}"`,
      `rootdn "${LDAP_ADMIN_DN}"`,
      `rootpw ${LDAP_ADMIN_PASSWORD}`,
      `directory ${join(dir, 'db')}`,
      'index objectClass eq',
      'index uid eq',
      'index employeeNumber eq',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const entries = customers.map((customer) => {
    const hash = execFileSync('/usr/sbin/slappasswd', ['-h', '{SSHA}', '-s', customer.password], {
      encoding: 'utf8',
    }).trim();
    return [
      `dn: uid=${customer.uid},${LDAP_PEOPLE}`,
      'objectClass: inetOrgPerson',
      `uid: ${customer.uid}`,
      `cn: ${customer.uid} example`,
      `sn: example`,
      `employeeNumber: ${customer.cupid}`,
      `userPassword: ${hash}`,
      ...(customer.mobile ? [`mobile: ${customer.mobile}`] : []),
      ...(customer.mail ? [`mail: ${customer.mail}`] : []),
      ...(customer.status ? [`employeeType: ${customer.status}`] : []),
      ...(customer.mfaRequired ? ['businessCategory: mfa-required'] : []),
      '',
    ].join('\n');
  });
  writeFileSync(
    join(dir, 'seed.ldif'),
    [
      `dn: ${LDAP_SUFFIX}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
      `dn: ${LDAP_PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
      ...entries,
    ].join('\n'),
  );
  execFileSync('/usr/sbin/slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'seed.ldif')], {
    stdio: 'pipe',
  });

  const url = `ldap://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(SLAPD, ['-d', '0', '-f', join(dir, 'slapd.conf'), '-h', `${url}/`], {
    stdio: 'ignore',
  });
  await waitForBind(url, child);
  let stopped = false;
  return {
    url,
    pid: child.pid!,
    env: {
      USER_DIRECTORY: 'ldap',
      LDAP_URL: url,
      LDAP_BIND_DN: LDAP_ADMIN_DN,
      LDAP_BIND_PASSWORD: LDAP_ADMIN_PASSWORD,
      LDAP_BASE_DN: LDAP_PEOPLE,
      LDAP_CONNECT_TIMEOUT_MS: '500',
      LDAP_TIMEOUT_MS: '1000',
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // A stopped (SIGSTOP) server would hold SIGTERM until continued.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForBind(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`);
    const client = new Client({ url, connectTimeout: 200 });
    try {
      await client.bind(LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD);
      await client.unbind();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error('slapd did not accept a bind within 10 s');
}

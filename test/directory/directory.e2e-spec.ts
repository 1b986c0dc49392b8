import { loadConfig } from '../../src/config/config';
import { FileUserDirectory } from '../../src/directory/file.directory';
import { LdapUserDirectory } from '../../src/directory/ldap.directory';
import { DirectoryUnavailableError, maskPhone, UserDirectory } from '../../src/directory/user-directory.port';
import { Slapd, startSlapd } from '../support/slapd';
import { startTcpProxy } from '../support/tcp-proxy';

/** Both adapters behave the same against the same customers: a real slapd, and the development file. */
describe.each([
  ['ldap (real slapd)', 'ldap'],
  ['file', 'file'],
])('UserDirectory: %s', (_label, adapter) => {
  let slapd: Slapd | undefined;
  let directory: UserDirectory;

  beforeAll(async () => {
    if (adapter === 'ldap') {
      slapd = await startSlapd();
      directory = new LdapUserDirectory(loadConfig({ NODE_ENV: 'test', ...slapd.env }).directory.ldap);
    } else {
      directory = new FileUserDirectory(loadConfig({ NODE_ENV: 'test' }).directory.file);
    }
  });
  afterAll(() => slapd?.stop());

  it('verifies a right password and maps the attributes', async () => {
    const check = await directory.verifyCredentials('alice', 'alice-password');
    expect(check).toEqual({
      valid: true,
      user: expect.objectContaining({
        cupid: 'CUPID-ALICE-0001',
        username: 'alice',
        status: 'ACTIVE',
        phoneNumber: '+447700900001',
        email: 'alice@example.test',
        mfaRequired: false,
      }),
    });
  });

  it('refuses a wrong password, naming the customer only to the caller', async () => {
    expect(await directory.verifyCredentials('alice', 'wrong')).toEqual({
      valid: false,
      user: expect.objectContaining({ cupid: 'CUPID-ALICE-0001' }),
    });
  });

  it('refuses an unknown username and an empty password', async () => {
    expect(await directory.verifyCredentials('nobody', 'alice-password')).toEqual({ valid: false });
    expect((await directory.verifyCredentials('alice', '')).valid).toBe(false);
  });

  it('treats filter metacharacters in a username as plain text', async () => {
    expect(await directory.verifyCredentials('*', 'alice-password')).toEqual({ valid: false });
    expect(await directory.verifyCredentials('alice)(uid=*', 'alice-password')).toEqual({ valid: false });
  });

  it('reports locked, disabled and MFA-always customers', async () => {
    expect((await directory.findByCupid('CUPID-CAROL-0003'))?.status).toBe('LOCKED');
    expect((await directory.findByCupid('CUPID-DAVE-0004'))?.status).toBe('DISABLED');
    expect((await directory.findByCupid('CUPID-BOB-0002'))?.mfaRequired).toBe(true);
    expect(await directory.findByCupid('CUPID-NOBODY')).toBeNull();
  });
});

describe('LDAP outage', () => {
  it('is a DirectoryUnavailableError, never a wrong password', async () => {
    const slapd = await startSlapd();
    const directory = new LdapUserDirectory(loadConfig({ NODE_ENV: 'test', ...slapd.env }).directory.ldap);
    await slapd.stop();
    await expect(directory.verifyCredentials('alice', 'alice-password')).rejects.toBeInstanceOf(
      DirectoryUnavailableError,
    );
    await expect(directory.ping()).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });
});

describe('LDAP connections', () => {
  it('are reused across logins (one for searches, one for binds) and replaced when the server drops them', async () => {
    const slapd = await startSlapd();
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(slapd.url).port) });
    const directory = new LdapUserDirectory(
      loadConfig({ NODE_ENV: 'test', ...slapd.env, LDAP_URL: `ldap://127.0.0.1:${proxy.port}` }).directory.ldap,
    );
    try {
      for (let i = 0; i < 3; i += 1)
        expect((await directory.verifyCredentials('alice', 'alice-password')).valid).toBe(true);
      expect((await directory.verifyCredentials('alice', 'wrong')).valid).toBe(false);
      expect(await directory.findByCupid('CUPID-BOB-0002')).toMatchObject({ username: 'bob' });
      expect(proxy.connections()).toBe(2);

      // A restart, an idle timeout: the idle connections are gone; the next login opens new ones.
      proxy.killConnections();
      expect((await directory.verifyCredentials('alice', 'alice-password')).valid).toBe(true);
      expect((await directory.verifyCredentials('bob', 'alice-password')).valid).toBe(false);
    } finally {
      directory.onModuleDestroy();
      await proxy.close();
      await slapd.stop();
    }
  });
});

describe('masking', () => {
  it('keeps only enough of a phone number to recognise it', () => {
    expect(maskPhone('+447700900001')).toBe('+44•••••001');
    expect(maskPhone(null)).toBeNull();
  });
});

import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { FileUserDirectory } from '../../src/directory/file.directory';
import { LdapUserDirectory, passwordModifyRequest } from '../../src/directory/ldap.directory';
import { UserDirectory } from '../../src/directory/user-directory.port';
import { Slapd, startSlapd } from '../support/slapd';

/** Issue 17, item 6: a recovered customer's new password reaches the directory through the port. */
describe.each([
  ['ldap (real slapd, RFC 3062 Password Modify)', 'ldap'],
  ['file (atomic rewrite of a copy of the development file)', 'file'],
])('UserDirectory.changePassword: %s', (_label, adapter) => {
  let slapd: Slapd | undefined;
  let dir: string | undefined;
  let directory: UserDirectory;

  beforeAll(async () => {
    if (adapter === 'ldap') {
      slapd = await startSlapd();
      directory = new LdapUserDirectory(loadConfig({ NODE_ENV: 'test', ...slapd.env }).directory.ldap);
    } else {
      dir = mkdtempSync(join(tmpdir(), 'ciam-file-directory-'));
      const path = join(dir, 'directory.json');
      copyFileSync(loadConfig({ NODE_ENV: 'test' }).directory.file, path);
      directory = new FileUserDirectory(path);
    }
  });
  afterAll(async () => {
    await slapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sets the new password: the old one fails, the new one works', async () => {
    expect(await directory.changePassword('CUPID-BOB-0002', 'a brand new passphrase 42')).toBe(true);
    expect((await directory.verifyCredentials('bob', 'bob-password')).valid).toBe(false);
    expect((await directory.verifyCredentials('bob', 'a brand new passphrase 42')).valid).toBe(true);
    // Nobody else changed.
    expect((await directory.verifyCredentials('alice', 'alice-password')).valid).toBe(true);
  });

  it('answers false for a customer the directory does not know', async () => {
    expect(await directory.changePassword('CUPID-NOBODY-9999', 'a brand new passphrase 42')).toBe(false);
  });

  if (adapter === 'file') {
    it('keeps the file whole: a fresh reader sees the new hash, and no temporary file is left', async () => {
      await directory.changePassword('CUPID-ALICE-0001', 'alice recovered passphrase');
      const fresh = new FileUserDirectory(join(dir!, 'directory.json'));
      expect((await fresh.verifyCredentials('alice', 'alice recovered passphrase')).valid).toBe(true);
      expect(readdirSync(dir!)).toEqual(['directory.json']);
      expect(readFileSync(join(dir!, 'directory.json'), 'utf8')).not.toContain('alice recovered passphrase');
    });
  }
});

describe('passwordModifyRequest (RFC 3062 §2 BER)', () => {
  it('encodes the identity [0] and new password [2] in a SEQUENCE, long lengths in long form', () => {
    expect(passwordModifyRequest('uid=a', 'pw').toString('hex')).toBe('300b' + '800575' + '69643d61' + '82027077');
    const long = passwordModifyRequest('x'.repeat(200), 'y');
    expect(long.subarray(0, 6).toString('hex')).toBe('3081ce8081c8');
  });
});

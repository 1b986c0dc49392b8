import { passwordPolicyViolations } from './password-policy';

describe('password policy', () => {
  it('accepts a long, uncommon passphrase', () => {
    expect(passwordPolicyViolations('correct horse battery staple', 'alice')).toEqual([]);
  });

  it('names each rule broken', () => {
    expect(passwordPolicyViolations('short1!', 'alice')).toEqual(['min_length']);
    expect(passwordPolicyViolations('x'.repeat(129), 'alice')).toEqual(['max_length']);
    expect(passwordPolicyViolations('Alice.Example.2026', 'alice.example.2026')).toEqual(['equals_username']);
    expect(passwordPolicyViolations('qwerty', 'alice')).toEqual(['min_length', 'breached']);
  });

  it('refuses a common password padded with digits and symbols, whatever its case or width', () => {
    expect(passwordPolicyViolations('Password1234!', 'alice')).toEqual(['breached']);
    expect(passwordPolicyViolations('2024-sunshine-!!', 'alice')).toEqual(['breached']);
    expect(passwordPolicyViolations('ＬＥＴＭＥＩＮ１２３４５６', 'alice')).toEqual(['breached']);
    expect(passwordPolicyViolations('123456789012', 'alice')).toEqual([]); // digits only: not in the list as such
  });

  it('counts characters, not UTF-16 units', () => {
    expect(passwordPolicyViolations('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑', 'alice')).toEqual(['min_length']);
    expect(passwordPolicyViolations('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑', 'alice')).toEqual([]);
  });
});

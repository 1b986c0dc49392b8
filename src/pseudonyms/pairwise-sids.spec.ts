import { randomBytes, randomUUID } from 'node:crypto';
import { kekKeyDerivation } from '../keys/key-derivation';
import { PairwiseSids } from './pairwise-sids';

/** KeysModule's KeyDerivation over two key-encryption keys (the current one, and the previous one or none). */
function sidsUnder(current: Buffer, previous: Buffer | null): PairwiseSids {
  const kek = { key: current, id: 'current', generated: false };
  return new PairwiseSids(kekKeyDerivation(previous ? { ...kek, previous: { key: previous, id: 'previous' } } : kek));
}

const A = { subjectType: 'pairwise' as const, sectorIdentifier: 'a.example' };
const B = { subjectType: 'pairwise' as const, sectorIdentifier: 'b.example' };
const PUBLIC = { subjectType: 'public' as const, sectorIdentifier: null };

describe("a pairwise client's sid", () => {
  const oldKek = randomBytes(32);
  const newKek = randomBytes(32);
  const sessions = [randomUUID(), randomUUID(), randomUUID()];

  it('is the session id for a public client, one unlinkable 22-character value per sector otherwise', () => {
    const sids = sidsUnder(newKek, null);
    expect(sids.sidFor(PUBLIC, sessions[0])).toBe(sessions[0]);
    const a = sids.sidFor(A, sessions[0]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sids.sidFor(A, sessions[0])).toBe(a);
    expect(sids.sidFor(B, sessions[0])).not.toBe(a);
    expect(sids.sidFor(A, sessions[1])).not.toBe(a);
  });

  it("names its session among the customer's, and none of another sector's", () => {
    const sids = sidsUnder(newKek, null);
    expect(sids.sessionNamed(A, sids.sidFor(A, sessions[1]), sessions)).toBe(sessions[1]);
    expect(sids.sessionNamed(A, sids.sidFor(B, sessions[1]), sessions)).toBeNull();
    expect(sids.sessionNamed(A, sessions[1], sessions)).toBeNull();
    expect(sids.sessionNamed(PUBLIC, sessions[2], sessions)).toBe(sessions[2]);
  });

  it('handed out before a key-encryption-key change, still names its session while the old key is the previous one', () => {
    const before = sidsUnder(oldKek, null).sidFor(A, sessions[2]);
    const during = sidsUnder(newKek, oldKek);
    expect(during.sidFor(A, sessions[2])).not.toBe(before);
    expect(during.sessionNamed(A, before, sessions)).toBe(sessions[2]);
    expect(sidsUnder(newKek, null).sessionNamed(A, before, sessions)).toBeNull();
  });
});

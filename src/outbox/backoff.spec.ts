import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles with each attempt, between half and all of base * 2^(attempt-1)', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 0)).toBe(2000);
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
  });

  it('never exceeds the cap, however many attempts failed', () => {
    for (const attempt of [10, 50, 1000]) {
      expect(retryDelayMs(attempt, 1000, 60_000, () => 1)).toBe(60_000);
      expect(retryDelayMs(attempt, 1000, 60_000, () => 0)).toBe(30_000);
    }
  });

  it('spreads retries: jitter gives different delays for the same attempt', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(4, 1000, 60_000)));
    expect(delays.size).toBeGreaterThan(1);
  });
});

/**
 * When a failed delivery is tried again: exponential backoff with full jitter (a uniformly random delay
 * between half and all of base * 2^(attempt - 1), capped at `maxMs`), so receivers that came back are not
 * hit by every instance's retries in step. `attempt` is the attempt that just failed (1 for the first).
 */
export function retryDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  // Half fixed, half random: never (nearly) zero, so a receiver answering 500 at once is not hammered.
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}

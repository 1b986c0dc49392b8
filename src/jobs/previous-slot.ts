import { CronTime } from 'cron';

/** Look-back windows, shortest first, so a job every few minutes costs a few steps and a monthly one a few more. */
const WINDOWS_MS = [2 * 60_000, 3_600_000, 86_400_000, 32 * 86_400_000, 367 * 86_400_000];

/**
 * The latest moment at or before `now` at which `expression` (UTC) fires, or undefined when it has
 * not fired within a year. The cron library only looks forward, so this walks forward from a little
 * before `now`.
 */
export function previousSlot(expression: string, now: Date): Date | undefined {
  const cron = new CronTime(expression, 'UTC');
  for (const window of WINDOWS_MS) {
    let cursor = new Date(now.getTime() - window);
    let latest: Date | undefined;
    for (;;) {
      const next = cron.getNextDateFrom(cursor, 'UTC').toJSDate();
      if (next.getTime() > now.getTime()) break;
      latest = next;
      cursor = next;
    }
    if (latest) return latest;
  }
  return undefined;
}

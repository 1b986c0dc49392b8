import { previousSlot } from './previous-slot';

describe('previousSlot', () => {
  const at = (iso: string) => new Date(iso);

  it.each([
    ['30 3 * * *', '2026-11-30T17:45:10Z', '2026-11-30T03:30:00.000Z'],
    ['30 3 * * *', '2026-11-30T03:29:59Z', '2026-11-29T03:30:00.000Z'],
    ['30 3 * * *', '2026-11-30T03:30:00Z', '2026-11-30T03:30:00.000Z'],
    ['15 0 1 * *', '2026-11-30T17:45:10Z', '2026-11-01T00:15:00.000Z'],
    ['15 0 1 * *', '2026-03-01T00:14:00Z', '2026-02-01T00:15:00.000Z'],
    ['*/5 * * * *', '2026-11-30T17:47:10Z', '2026-11-30T17:45:00.000Z'],
    ['7 * * * *', '2026-11-30T17:05:00Z', '2026-11-30T16:07:00.000Z'],
  ])('%s at %s fired last at %s', (expression, now, expected) => {
    expect(previousSlot(expression, at(now))?.toISOString()).toBe(expected);
  });

  it('is undefined when the schedule has not fired within a year', () => {
    expect(previousSlot('0 0 29 2 *', at('2027-03-01T00:00:00Z'))).toBeUndefined();
  });
});

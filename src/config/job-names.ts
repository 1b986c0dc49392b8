/** The scheduled jobs (src/jobs/), each with a JOB_<NAME>_CRON setting. */
export const JOB_NAMES = [
  'expire-transactions',
  'expire-contexts',
  'expire-sessions',
  'purge-journey-data',
  'audit-partitions',
  'rotate-signing-key',
  'audit-chain',
  'audit-checkpoint',
  'purge-outbox',
  'purge-used-jtis',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

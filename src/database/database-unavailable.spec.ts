import { QueryFailedError } from 'typeorm';
import { loadConfig } from '../config/config';
import { servingDataSourceOptions } from './data-source-options';
import { asDatabaseUnavailable, DatabaseUnavailableError } from './database-unavailable';

const pgError = (code: string, message = 'server says no') =>
  Object.assign(new Error(message), { code, severity: 'ERROR' });
const wrapped = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('asDatabaseUnavailable: what counts as "the database is down or timed out"', () => {
  it.each([
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
      'ECONNREFUSED',
    ],
    ['connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    [
      'pool acquire timeout',
      new Error('timeout exceeded when trying to connect'),
      'timeout exceeded when trying to connect',
    ],
    [
      'connect timeout',
      new Error('Connection terminated due to connection timeout'),
      'connection terminated due to connection timeout',
    ],
    [
      'connection lost mid-query',
      new Error('Connection terminated unexpectedly'),
      'connection terminated unexpectedly',
    ],
    ['client read deadline (frozen network)', wrapped(new Error('Query read timeout')), 'query read timeout'],
    ['connect timeout before the socket is up', new Error('timeout expired'), 'timeout expired'],
    [
      'statement_timeout',
      wrapped(pgError('57014', 'canceling statement due to statement timeout')),
      'statement timeout',
    ],
    ['admin shutdown (failover, restart)', wrapped(pgError('57P01')), 'SQLSTATE 57P01'],
    ['crash shutdown', pgError('57P02'), 'SQLSTATE 57P02'],
    ['starting up or in recovery', pgError('57P03'), 'SQLSTATE 57P03'],
    ['connection exception class 08', pgError('08006'), 'SQLSTATE 08006'],
    ['idle in transaction timeout', wrapped(pgError('25P03')), 'SQLSTATE 25P03'],
    ['too many connections', pgError('53300'), 'SQLSTATE 53300'],
    [
      'several addresses, all refused',
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]),
      'ECONNREFUSED',
    ],
  ])('%s is unavailable', (_case, error, reason) => {
    const unavailable = asDatabaseUnavailable(error);
    expect(unavailable).toBeInstanceOf(DatabaseUnavailableError);
    expect(unavailable?.reason).toBe(reason);
    expect(unavailable?.message).not.toMatch(/10\.0\.0\.5|5432/);
  });

  it.each([
    ['a unique violation', wrapped(pgError('23505'))],
    ['a syntax error', wrapped(pgError('42601'))],
    ['a deadlock (the caller retries the transaction)', wrapped(pgError('40P01'))],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    [
      'an LDAP adapter error that wraps a refused socket',
      Object.assign(new Error('the user directory is not answering'), {
        cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
      }),
    ],
    ['nothing', undefined],
  ])('%s is not', (_case, error) => {
    expect(asDatabaseUnavailable(error)).toBeUndefined();
  });
});

describe('servingDataSourceOptions', () => {
  it('bounds every wait of the serving pool from the configuration', () => {
    const config = loadConfig({
      DATABASE_ACQUIRE_TIMEOUT_MS: '1200',
      DATABASE_CONNECT_TIMEOUT_MS: '800',
      DATABASE_STATEMENT_TIMEOUT_MS: '4000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '9000',
      DATABASE_KEEPALIVE_IDLE_MS: '7000',
      DATABASE_POOL_SIZE: '12',
    });
    const options = servingDataSourceOptions(config, 'postgres://u:p@db/ciam');
    expect(options.migrationsRun).toBe(false);
    expect((options as { extra: Record<string, unknown> }).extra).toMatchObject({
      max: 12,
      connectionTimeoutMillis: 1200,
      statement_timeout: 4000,
      idle_in_transaction_session_timeout: 9000,
      query_timeout: 5000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 7000,
      Client: expect.any(Function),
    });
  });
});

import { QueryFailedError } from 'typeorm';
import { serializeError } from './logging';

describe('the log error serializer', () => {
  const driverError = Object.assign(new Error('invalid input syntax for type uuid: "hunter2"'), {
    code: '22P02',
    severity: 'ERROR',
    detail: 'Key (username)=(hunter2) already exists.',
    where: "unnamed portal parameter $1 = 'hunter2'",
  });

  it('keeps the SQL and SQLSTATE of a failed query, and nothing of its values', () => {
    const serialized = serializeError(new QueryFailedError('SELECT $1::uuid', ['hunter2'], driverError));
    expect(serialized).toMatchObject({
      type: 'QueryFailedError',
      sqlState: '22P02',
      query: 'SELECT $1::uuid',
      message: 'invalid input syntax for type uuid: "[REDACTED]"',
    });
    expect(JSON.stringify(serialized)).not.toContain('hunter2');
  });

  it('treats a bare pg error the same way', () => {
    expect(JSON.stringify(serializeError(driverError))).not.toContain('hunter2');
  });

  it('hides the bytes PostgreSQL quotes from an invalid encoding', () => {
    const error = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x68 0x75'), {
      code: '22021',
      severity: 'ERROR',
    });
    expect(serializeError(error).message).toBe('invalid byte sequence for encoding "[REDACTED]": 0x[REDACTED]');
  });

  it('leaves other errors as pino writes them', () => {
    expect(serializeError(new TypeError('boom'))).toMatchObject({
      type: 'TypeError',
      message: 'boom',
      stack: expect.any(String),
    });
  });
});

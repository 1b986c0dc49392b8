import { Body, Controller, Module, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { poolRows } from '../../src/database/sql';
import { useTestApp } from '../support/app';

const TYPED_PASSWORD = 'Corr3ct-Horse-Battery!';

/** Stands in for any repository whose query fails on what a customer typed. */
@Controller('test-failing-query')
class FailingQueryController {
  constructor(private readonly dataSource: DataSource) {}

  @Post('typeorm')
  async typeorm(@Body() body: { username: string }): Promise<unknown> {
    return this.dataSource.query('SELECT $1::uuid AS id', [body.username]);
  }

  @Post('pool')
  async pool(@Body() body: { username: string }): Promise<unknown> {
    return poolRows(this.dataSource, 'SELECT $1::integer AS n', [body.username]);
  }
}

@Module({ controllers: [FailingQueryController] })
class FailingQueryModule {}

/**
 * ASVS 5 V16 (security logging): a failed query is logged with its SQL and SQLSTATE but never with its
 * parameters, nor the value PostgreSQL quotes back in its message: the username field sometimes holds
 * the customer's password. Every logger goes through the same serializer (the exception filter's, the
 * request logger's and TypeORM's).
 */
describe('ASVS V16: logs never carry query parameters', () => {
  const t = useTestApp({ imports: [FailingQueryModule] });

  it.each(['typeorm', 'pool'])(
    'a failed query through %s: a bare 500 and a log without the typed value',
    async (path) => {
      const response = await fetch(`${t.baseUrl}/test-failing-query/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: TYPED_PASSWORD }),
      });
      expect(response.status).toBe(500);
      expect(JSON.stringify(await response.json())).not.toContain(TYPED_PASSWORD);

      const requestId = response.headers.get('x-request-id');
      const lines = t.logLines().filter((line) => line.requestId === requestId);
      const unhandled = lines.find((line) => line.msg === 'unhandled error') as
        { err: Record<string, unknown> } | undefined;
      // The error is there, useful to whoever reads it: its SQLSTATE and statement, with the value redacted.
      expect(unhandled?.err).toMatchObject({ sqlState: '22P02', message: expect.stringContaining('"[REDACTED]"') });
      expect(unhandled?.err).not.toHaveProperty('parameters');
      expect(unhandled?.err).not.toHaveProperty('driverError');
      expect(t.rawLogs()).not.toContain(TYPED_PASSWORD);
    },
  );

  it("TypeORM's own query-error log line keeps the SQL and drops the parameters", async () => {
    await fetch(`${t.baseUrl}/test-failing-query/typeorm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `${TYPED_PASSWORD}-2` }),
    });
    const failed = t.logLines().filter((line) => line.msg === 'query failed');
    expect(failed).toContainEqual(
      expect.objectContaining({ query: 'SELECT $1::uuid AS id', err: expect.objectContaining({ sqlState: '22P02' }) }),
    );
    expect(t.rawLogs()).not.toContain(`${TYPED_PASSWORD}-2`);
  });
});

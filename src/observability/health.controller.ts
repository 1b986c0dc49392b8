import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/problem';
import { ApiProblems } from '../common/problem.dto';
import { UserDirectory } from '../directory/user-directory.port';
import { SigningKeysService } from '../tokens/keys/signing-keys.service';

/** How long readiness waits for each dependency: well under a load balancer's probe timeout. */
const CHECK_TIMEOUT_MS = 2000;

type CheckStatus = 'up' | 'down' | 'degraded';

export class HealthCheckDto {
  @ApiProperty({ enum: ['up', 'down', 'degraded'] }) status: CheckStatus;
}

export class DirectoryCheckDto extends HealthCheckDto {
  @ApiProperty({ enum: ['file', 'ldap'], description: 'The directory adapter in use' }) adapter: string;
}

export class HealthChecksDto {
  @ApiProperty({ type: HealthCheckDto, description: 'PostgreSQL answers a query' }) database?: HealthCheckDto;
  @ApiProperty({ type: HealthCheckDto, description: 'This instance holds its signing keys and the published keys' })
  signingKeys?: HealthCheckDto;
  @ApiProperty({
    type: DirectoryCheckDto,
    description: 'The customer directory (LDAP): `degraded` when it does not answer; never fails readiness',
  })
  directory?: DirectoryCheckDto;
}

export class HealthStatusDto {
  @ApiProperty({
    example: 'ok',
    enum: ['ok', 'degraded'],
    description: '`degraded`: the instance serves, but a dependency that only some requests need is down',
  })
  status: 'ok' | 'degraded';
  @ApiProperty({ type: HealthChecksDto, description: 'Each dependency checked and its state (no hosts or ports)' })
  checks: HealthChecksDto;
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: SigningKeysService,
    private readonly directory: UserDirectory,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness', description: 'The process is up and serving HTTP. Checks no dependency.' })
  @ApiOkResponse({ type: HealthStatusDto })
  live(): HealthStatusDto {
    return { status: 'ok', checks: {} };
  }

  /**
   * "This instance can serve": its database and its own signing keys. The directory is reported but
   * never fails readiness: an LDAP outage is the same on every instance, and pulling them all out of
   * the load balancer would also stop refreshes, introspection and JWKS, which do not need it.
   */
  @Get('ready')
  @ApiOperation({
    summary: 'Readiness',
    description:
      'The instance can take traffic: the database answers and it holds its signing keys. The customer directory is reported (`degraded`) but does not fail readiness.',
  })
  @ApiOkResponse({ type: HealthStatusDto })
  @ApiProblems('NOT_READY')
  async ready(): Promise<HealthStatusDto> {
    const [database, directory] = await Promise.all([
      check(() => this.dataSource.query('SELECT 1'), 'down'),
      check(() => this.directory.ping(), 'degraded'),
    ]);
    const checks: HealthChecksDto = {
      database: { status: database },
      signingKeys: { status: this.keys.hasKeys() ? 'up' : 'down' },
      directory: { status: directory, adapter: this.directory.name },
    };
    if (database !== 'up' || checks.signingKeys?.status !== 'up') {
      throw new ApiError(
        503,
        'NOT_READY',
        'Service not ready',
        'This instance cannot serve: its database or its signing keys are unavailable.',
        { checks },
        5,
      );
    }
    return { status: directory === 'up' ? 'ok' : 'degraded', checks };
  }
}

/** Runs one check with a deadline; only its status leaves (error messages name hosts and ports). */
async function check(probe: () => Promise<unknown>, failed: CheckStatus): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckStatus>((resolve) => {
    timer = setTimeout(() => resolve(failed), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      probe().then(
        (): CheckStatus => 'up',
        (): CheckStatus => failed,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { UserDirectory } from '../directory/user-directory.port';
import { ApiError } from '../common/problem';

export class HealthStatusDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] }) status: 'ok';
  @ApiProperty({ example: { database: { status: 'up' } }, description: 'Each dependency checked and its state' })
  checks: Record<string, unknown>;
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly directory: UserDirectory,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness', description: 'The process is up and serving HTTP. Checks no dependency.' })
  @ApiOkResponse({ type: HealthStatusDto })
  live(): HealthStatusDto {
    return { status: 'ok', checks: {} };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness', description: 'The service can take traffic: the database and the customer directory answer.' })
  @ApiOkResponse({ type: HealthStatusDto })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down (problem+json with the failing checks)' })
  async ready(): Promise<HealthStatusDto> {
    try {
      const result = await this.health.check([
        () => this.database.pingCheck('database', { timeout: 2000 }),
        () => this.directoryCheck(),
      ]);
      return { status: 'ok', checks: result.details };
    } catch (error) {
      const details = error instanceof HttpException ? (error.getResponse() as { details?: unknown }).details : undefined;
      throw new ApiError(503, 'NOT_READY', 'Service not ready', 'A dependency of the service is down.',
        { checks: details ?? {} }, 5);
    }
  }

  private directoryCheck() {
    return this.indicators.check('directory').attempt(async () => {
      await this.directory.ping();
      return { adapter: this.directory.name };
    }).withTimeout(3000);
  }
}

import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Process metrics, request durations by route and status, and the domain metrics: journeys and step answers, password checks, second-factor challenges and failures, lockouts, message sends by provider, directory and vendor latency, the database pool and job lag (docs/operations.md).',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format',
    schema: {
      type: 'string',
      example:
        '# HELP http_requests_total HTTP requests\n# TYPE http_requests_total counter\nhttp_requests_total{method="POST",route="/journeys",status="201"} 42\n',
    },
  })
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

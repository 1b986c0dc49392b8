import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { AppModule, AppModuleOptions } from './app.module';
import { drainOf } from './common/graceful-drain';
import { answerError, ProblemExceptionFilter } from './common/problem.filter';
import { edgeClientErrorHandler, edgeFrameworkErrors, installBodyParsers, installHttpEdge } from './common/http-edge';
import { createValidationPipe } from './common/validation';
import { poolStats } from './database/sql';
import type { AppConfig } from './config/config';
import { createRootLogger, logRequest, requestIdFor } from './observability/logging';
import { MetricsService, PgPoolConnect } from './observability/metrics.service';
import { CorsPolicy } from './oauth/cors-policy';
import { buildOpenApiDocument } from './openapi';

export interface CreateAppOptions extends Omit<AppModuleOptions, 'rootLogger'> {
  /** Where JSON logs go; stdout when unset. Tests pass a stream to read them. */
  logDestination?: DestinationStream;
  /** Build the app without connecting anywhere (used to generate openapi.yaml). */
  preview?: boolean;
}

/**
 * Builds the whole HTTP application: Fastify, the modules, problem+json errors, validation, request ids,
 * metrics, security headers and Swagger UI. main.ts and the tests both start the service through here.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    genReqId: requestIdFor,
    // GracefulDrain answers during shutdown instead, in problem+json with Retry-After.
    return503OnClosing: false,
    frameworkErrors: edgeFrameworkErrors,
    clientErrorHandler: edgeClientErrorHandler,
  });
  const rootLogger = createRootLogger(config, options.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, { ...options, rootLogger }),
    adapter,
    {
      bufferLogs: true,
      preview: options.preview ?? false,
      abortOnError: false,
    },
  );
  if (!options.preview) app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemExceptionFilter());
  app.useGlobalPipes(createValidationPipe());
  installBodyParsers(app, config.http.bodyLimitBytes);

  const fastify = app.getHttpAdapter().getInstance();
  drainOf(app).install(fastify);
  const metrics = options.preview ? undefined : app.get(MetricsService);
  const cors = options.preview ? undefined : app.get(CorsPolicy);
  if (metrics) {
    const dataSource = app.get(DataSource);
    metrics.watchDatabasePool(() => poolStats(dataSource));
    const pool = (dataSource.driver as unknown as { master?: PgPoolConnect }).master;
    if (pool) metrics.timePoolAcquires(pool);
  }
  const overHttps = config.oidc.issuer.startsWith('https://');
  const hookLogger = new NestLogger('Errors');
  // Hooks in callback form: they run on every request, and an async hook costs a promise each (issue 14).
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    void reply.header('X-Request-Id', String(request.id));
    void reply.header('X-Content-Type-Options', 'nosniff');
    void reply.header('Referrer-Policy', 'no-referrer');
    void reply.header('X-Frame-Options', 'DENY');
    // The API serves JSON only; Swagger UI (its own scripts and styles) is the one page.
    if (!request.url.startsWith('/docs'))
      void reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    if (overHttps) void reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    // CORS concerns only requests with an Origin; a preflight is answered here, before routing (the reply ends it).
    if (!cors || request.headers.origin === undefined) return done();
    cors.apply(request, reply).then(
      (answered) => {
        if (!answered) done();
      },
      (error: unknown) => {
        // Before routing, Nest's filter cannot see the error: answer it the same way (a database outage is a 503).
        answerError(error, request, reply, hookLogger);
      },
    );
  });
  installHttpEdge(fastify);
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // The route template ("/sessions/:id"), never the raw path, keeps label cardinality bounded.
    const route = request.routeOptions?.url ?? '(unmatched)';
    metrics?.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    logRequest(rootLogger, request, reply);
    done();
  });

  if (config.docs.enabled) {
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
      jsonDocumentUrl: 'docs/openapi.json',
      yamlDocumentUrl: 'docs/openapi.yaml',
    });
  }
  return app;
}

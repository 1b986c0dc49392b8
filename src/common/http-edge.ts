import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCleanBytes, isCleanLatin1, isCleanPercentEncoded, isCleanUrl, isCleanValue } from './encoding';
import { InvalidEncodingError, UnsupportedMediaTypeError } from './edge-errors';
import { OAuthError } from './oauth-error';
import { OAUTH_PATH_PREFIX, sendOAuthError, sendProblem, toProblem } from './problem.filter';

/**
 * The HTTP edge: checks that hold for every route, made once here instead of in each controller.
 * Errors thrown from these hooks reach the global exception filter, which answers problem+json on the
 * REST API and RFC 6749 JSON under /oauth2/.
 *
 * - Hostile bytes (NUL, invalid UTF-8, lone surrogates), raw or percent-encoded, in the path, query,
 *   headers or body: 400 before any code (or the database) sees them.
 * - JSON APIs take JSON bodies only (415): form and text/plain bodies are CORS-safelisted, so a browser
 *   sends them cross-site without a preflight. The OAuth endpoints keep their form bodies (RFC 6749 §3.2).
 * - Responses are `Cache-Control: no-store` unless a route says otherwise (discovery and JWKS may be
 *   cached): transaction tokens, codes, tokens and personal data never sit in a shared or browser cache.
 */
export function installHttpEdge(fastify: FastifyInstance): void {
  // Hooks in callback form: they run on every request, and an async hook costs a promise each (issue 14).
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    if (!isCleanUrl(request.url)) return done(new InvalidEncodingError('path or query'));
    if (!headersAreClean(request)) return done(new InvalidEncodingError('header'));
    if (takesBody(request) && !isOAuthPath(request) && !sendsJson(request))
      return done(new UnsupportedMediaTypeError());
    done();
  });
  // JSON escapes ("\u0000", "\ud800") only appear once parsed; the path parameters and query are decoded too.
  fastify.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    if (!isCleanValue(request.params) || !isCleanValue(request.query))
      return done(new InvalidEncodingError('path or query'));
    if (!isCleanValue(request.body)) return done(new InvalidEncodingError('body'));
    done();
  });
  fastify.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
      if (!reply.hasHeader('cache-control')) void reply.header('Cache-Control', 'no-store');
      // RFC 6749 §5.1: OAuth responses also carry Pragma for HTTP/1.0 caches.
      if (isOAuthPath(request) && reply.getHeader('cache-control') === 'no-store')
        void reply.header('Pragma', 'no-cache');
      done(null, payload);
    },
  );
}

/**
 * The two body parsers (JSON for the REST API, forms for OAuth, RFC 6749 §3.2), each checking the raw bytes
 * before parsing: no NUL, UTF-8 throughout, and for forms the percent-decoded bytes too. Fastify reads the
 * whole body (up to the body limit) before a parser runs, so the check needs no stream of its own.
 * Parsing is what Nest's own parsers do: Fastify's JSON parser refusing `__proto__` and `constructor`
 * poisoning, and for forms a prototype-less object whose `__proto__` key is refused the same way.
 */
export function installBodyParsers(app: NestFastifyApplication, bodyLimit: number): void {
  const json = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<Server>('application/json', { bodyLimit }, (request, body: Buffer, done) => {
    if (!isCleanBytes(body)) return done(new InvalidEncodingError('body'), undefined);
    void json(request, body.toString('utf8'), done);
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_request, body: Buffer, done) => {
    if (!isCleanPercentEncoded(body)) return done(new InvalidEncodingError('body'), undefined);
    const form = parseQuery(body.toString('utf8'));
    if (Object.hasOwn(form, '__proto__'))
      return done(new BadRequestException('Object contains forbidden prototype property'), undefined);
    done(null, form);
  });
}

/**
 * Fastify's router refuses a path whose parameters do not percent-decode (`%C3%28`) before any hook
 * runs; answered here in the endpoint's format instead of Fastify's own JSON.
 */
export function edgeFrameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const refusal = error.code === 'FST_ERR_BAD_URL' ? new InvalidEncodingError('path or query') : error;
  if (isOAuthPath(request)) sendOAuthError(reply, new OAuthError('invalid_request', refusal.message));
  else sendProblem(reply, { ...toProblem(refusal, request), status: 400 });
}

/**
 * Node's HTTP parser refuses what is not HTTP (a raw NUL or a non-ASCII byte in the path or a header)
 * before Fastify sees a request; the answer still comes in the format of the endpoint that was aimed at.
 */
export function edgeClientErrorHandler(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const detail =
    status === 400
      ? 'The request is not valid HTTP: a NUL, control or non-ASCII byte in its path or headers.'
      : (STATUS_CODES[status] ?? 'Bad Request');
  const target = Buffer.isBuffer(error.rawPacket) ? (error.rawPacket.toString('latin1').split(' ')[1] ?? '') : '';
  const oauth = target.startsWith(OAUTH_PATH_PREFIX);
  const body = JSON.stringify(
    oauth
      ? { error: 'invalid_request', error_description: detail }
      : { type: 'about:blank', title: STATUS_CODES[status], status, detail },
  );
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${oauth ? 'application/json; charset=utf-8' : 'application/problem+json'}\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isOAuthPath(request: FastifyRequest): boolean {
  return request.url.startsWith(OAUTH_PATH_PREFIX);
}

function mediaType(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0].trim().toLowerCase();
}

/** A body is announced by a content type, a length above zero or chunked transfer. */
function takesBody(request: FastifyRequest): boolean {
  if (!BODY_METHODS.has(request.method)) return false;
  const length = Number(request.headers['content-length'] ?? 0);
  return (
    request.headers['content-type'] !== undefined || length > 0 || request.headers['transfer-encoding'] !== undefined
  );
}

function sendsJson(request: FastifyRequest): boolean {
  return mediaType(request) === 'application/json';
}

/** Node decodes header values as latin1: their bytes must be UTF-8; a Basic credential is checked decoded. */
function headersAreClean(request: FastifyRequest): boolean {
  for (const value of Object.values(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value) ? !value.every(isCleanLatin1) : !isCleanLatin1(value)) return false;
  }
  // RFC 6749 §2.3.1: client id and secret are form-encoded, then base64-encoded.
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(request.headers.authorization ?? '');
  return !basic || isCleanPercentEncoded(Buffer.from(basic[1], 'base64'));
}

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, Transform, TransformCallback } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCleanBytes, isCleanPercentEncoded, isCleanValue } from './encoding';
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
  fastify.addHook('onRequest', async (request: FastifyRequest) => {
    if (!isCleanPercentEncoded(Buffer.from(request.url, 'latin1'))) throw new InvalidEncodingError('path or query');
    if (!headersAreClean(request)) throw new InvalidEncodingError('header');
    if (takesBody(request) && !isOAuthPath(request) && !sendsJson(request)) throw new UnsupportedMediaTypeError();
  });
  fastify.addHook('preParsing', async (request: FastifyRequest, _reply: FastifyReply, payload) => {
    if (!takesBody(request)) return payload;
    return checked(payload, new EncodingCheck(mediaType(request) === 'application/x-www-form-urlencoded'));
  });
  // JSON escapes ("\u0000", "\ud800") only appear once parsed; the path parameters and query are decoded too.
  fastify.addHook('preValidation', async (request: FastifyRequest) => {
    if (!isCleanValue(request.params) || !isCleanValue(request.query)) throw new InvalidEncodingError('path or query');
    if (!isCleanValue(request.body)) throw new InvalidEncodingError('body');
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (!reply.hasHeader('cache-control')) void reply.header('Cache-Control', 'no-store');
    // RFC 6749 §5.1: OAuth responses also carry Pragma for HTTP/1.0 caches.
    if (isOAuthPath(request) && reply.getHeader('cache-control') === 'no-store')
      void reply.header('Pragma', 'no-cache');
    return payload;
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
    for (const item of Array.isArray(value) ? value : [value ?? '']) {
      if (!isCleanBytes(Buffer.from(item, 'latin1'))) return false;
    }
  }
  // RFC 6749 §2.3.1: client id and secret are form-encoded, then base64-encoded.
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(request.headers.authorization ?? '');
  return !basic || isCleanPercentEncoded(Buffer.from(basic[1], 'base64'));
}

/**
 * `payload.pipe(check)` with what stream.pipeline added, without the AbortController and DOMException
 * pipeline creates on every call (issue 14: a measurable share of a token request): an error of the upload
 * destroys the check, and so does an upload aborted before its end, so the request does not hang. A refused
 * body leaves the upload to Node, which discards what is left of it once the answer is sent.
 */
function checked(payload: Readable, check: EncodingCheck): EncodingCheck {
  payload.once('error', (error) => check.destroy(error));
  payload.once('close', () => {
    if (!payload.readableEnded) check.destroy(new Error('the upload was aborted'));
  });
  return payload.pipe(check);
}

/**
 * Passes the body through while checking its bytes: no NUL, UTF-8 throughout (a fatal streaming decoder,
 * so a character split across chunks is fine), and for form bodies the percent-decoded bytes too.
 */
class EncodingCheck extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly chunks: Buffer[] = [];

  constructor(private readonly percentEncoded: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (chunk.includes(0)) throw new InvalidEncodingError('body');
      this.decoder.decode(chunk, { stream: true });
      if (this.percentEncoded) this.chunks.push(chunk);
      callback(null, chunk);
    } catch {
      callback(new InvalidEncodingError('body'));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.decode();
      if (this.percentEncoded && !isCleanPercentEncoded(Buffer.concat(this.chunks)))
        throw new InvalidEncodingError('body');
      callback();
    } catch {
      callback(new InvalidEncodingError('body'));
    }
  }
}

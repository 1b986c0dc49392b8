import { HttpStatus } from '@nestjs/common';
import { ApiError } from './problem';

/**
 * A NUL character or bytes that are not UTF-8, raw or percent-encoded, anywhere in a request. PostgreSQL
 * text cannot hold U+0000 and invalid UTF-8 would be stored as something else than what was sent, so such
 * input is refused at the edge, before any code sees it. The detail never echoes the offending value.
 */
export class InvalidEncodingError extends ApiError {
  constructor(where: 'path or query' | 'header' | 'body') {
    super(
      HttpStatus.BAD_REQUEST,
      'INVALID_ENCODING',
      'Invalid characters in the request',
      `The ${where} holds a NUL character or bytes that are not UTF-8.`,
    );
  }
}

/**
 * A JSON API called with another body type. Form-encoded and text/plain bodies are what a browser sends
 * cross-site without a CORS preflight, so accepting them would let any web page drive the API with its
 * visitors' browsers.
 */
export class UnsupportedMediaTypeError extends ApiError {
  constructor() {
    super(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'UNSUPPORTED_MEDIA_TYPE',
      'Unsupported media type',
      'This endpoint accepts request bodies as application/json only.',
    );
  }
}

import { InvalidRequestError } from './oauth-errors';

/**
 * The parameters of an OAuth request (form body or query). RFC 6749 §3.1: a parameter sent more than
 * once is an error, and an empty value counts as absent.
 */
export class OAuthParams {
  private constructor(private readonly values: Record<string, unknown>) {}

  static from(source: unknown): OAuthParams {
    return new OAuthParams(source && typeof source === 'object' ? (source as Record<string, unknown>) : {});
  }

  optional(name: string, maxLength = 2048): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (Array.isArray(value)) throw new InvalidRequestError(`parameter "${name}" must not be repeated`);
    if (typeof value !== 'string') throw new InvalidRequestError(`parameter "${name}" must be a string`);
    if (value.length > maxLength) throw new InvalidRequestError(`parameter "${name}" is too long`);
    return value;
  }

  required(name: string, maxLength = 2048): string {
    const value = this.optional(name, maxLength);
    if (value === undefined) throw new InvalidRequestError(`parameter "${name}" is required`);
    return value;
  }
}

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

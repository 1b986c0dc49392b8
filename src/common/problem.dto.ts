import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ApiResponseOptions } from '@nestjs/swagger';
import { PROBLEM_CATALOGUE, problemType } from './problem-catalogue';
import type { JourneyContinuation, ProblemCode, ProblemEntry, ProblemExtension } from './problem-catalogue';

const STEP_KINDS = [
  'PASSWORD',
  'SMS_OTP',
  'PUSH',
  'ESIGN',
  'DEVICE_BIND',
  'DEVICE_PROOF',
  'TOTP',
  'RECOVERY_CODE',
  'EMAIL_OTP',
  'RESET_USERNAME',
  'SET_PASSWORD',
  'CONSENT',
];

class FieldErrorDto {
  @ApiProperty({ example: 'transactionToken' }) field: string;
  @ApiProperty({ type: [String], example: ['transactionToken must be longer than or equal to 16 characters'] })
  messages: string[];
}

class AlternativeFactorDto {
  @ApiProperty({ enum: ['SMS_OTP', 'PUSH'], example: 'SMS_OTP' }) type: string;
}

/**
 * RFC 9457 problem details, as documented in openapi.yaml, with the extension members a frontend relies
 * on (each problem type says which it carries: PROBLEM_CATALOGUE and docs/api-contract.md).
 */
export class ProblemDto {
  @ApiProperty({
    enum: [...Object.keys(PROBLEM_CATALOGUE).map(problemType), 'about:blank'],
    example: 'urn:ciam:problem:transaction-invalid',
    description:
      'The problem type (docs/api-contract.md); `about:blank` for plain HTTP errors (unknown route, bad path id)',
  })
  type: string;
  @ApiProperty({ example: 'Transaction token invalid' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiPropertyOptional({ example: 'The transaction token is unknown, already used or expired.' }) detail?: string;
  @ApiPropertyOptional({ example: '/journeys/6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21/password' }) instance?: string;
  @ApiPropertyOptional({ example: 'b1946ac9-2f5c-4a4e-9a3b-1f2d3c4b5a69', description: 'Quote it to support' })
  requestId?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'VALIDATION_FAILED: one entry per offending field' })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({
    example: 'kq3C1uYv0t8a9y2mVb2m1sKQd0n8s5Yy2p3uXo7rZ4w',
    description: 'The fresh transaction token to go on with (journey: fresh-token)',
  })
  transactionToken?: string;
  @ApiPropertyOptional({ example: '2026-11-24T19:05:00.000Z', format: 'date-time' })
  transactionExpiresAt?: string;
  /** Documented as the JourneyNextStep union (src/openapi.ts). */
  @ApiPropertyOptional({ description: 'The step the fresh token is for' })
  nextStep?: unknown;
  @ApiPropertyOptional({ example: 4, description: 'Tries the step still allows' })
  attemptsLeft?: number;
  @ApiPropertyOptional({ enum: STEP_KINDS, example: 'SMS_OTP', description: 'STEP_OUT_OF_ORDER: the step expected' })
  expectedStep?: string;
  @ApiPropertyOptional({
    type: [AlternativeFactorDto],
    description: 'PUSH_LIMIT_REACHED: the factors the same token can do instead',
  })
  alternatives?: AlternativeFactorDto[];
  /** Documented as HealthChecksDto (src/openapi.ts). */
  @ApiPropertyOptional({ description: 'NOT_READY: the checks of this instance' })
  checks?: unknown;
  @ApiPropertyOptional({ example: 30, description: 'Seconds to wait before retrying, as in the Retry-After header' })
  retryAfter?: number;
  @ApiPropertyOptional({
    example: 'https://app.example/callback?error=access_denied&state=af0ifjsldkj&iss=https%3A%2F%2Flogin.example',
    description: "CONSENT_DENIED: where the browser goes, the client's redirect URI with the error (RFC 6749 §4.1.2.1)",
  })
  redirectTo?: string;
}

/** Properties documented by reference (a decorator cannot write a bare $ref); src/openapi.ts applies them. */
export const PROBLEM_REFERENCES = {
  nextStep: '#/components/schemas/JourneyNextStep',
  checks: '#/components/schemas/HealthChecksDto',
};

const EXAMPLE_VALUES: Record<ProblemExtension, unknown> = {
  errors: [{ field: 'transactionToken', messages: ['transactionToken must be longer than or equal to 16 characters'] }],
  transactionToken: 'kq3C1uYv0t8a9y2mVb2m1sKQd0n8s5Yy2p3uXo7rZ4w',
  transactionExpiresAt: '2026-11-24T19:05:00.000Z',
  nextStep: { type: 'PASSWORD' },
  attemptsLeft: 4,
  expectedStep: 'SMS_OTP',
  alternatives: [{ type: 'SMS_OTP' }],
  checks: { database: { status: 'down' }, signingKeys: { status: 'up' }, directory: { status: 'up', adapter: 'ldap' } },
  retryAfter: 30,
  redirectTo: 'https://app.example/callback?error=access_denied&state=af0ifjsldkj&iss=https%3A%2F%2Flogin.example',
};

const CONTINUATION: Record<JourneyContinuation, string> = {
  'same-token': 'the journey goes on with the same transaction token',
  'fresh-token': 'the journey goes on with the transactionToken in this body (the one sent is spent)',
  'latest-token': 'go on with the latest transaction token held, or start again',
  ends: 'the journey is over: start a new one',
};

/** One problem type as an example body (components.examples), with the extension members it carries. */
export function problemExample(code: ProblemCode): { summary: string; value: Record<string, unknown> } {
  const entry: ProblemEntry = PROBLEM_CATALOGUE[code];
  const value: Record<string, unknown> = {
    type: problemType(code),
    title: entry.title,
    status: entry.status,
    detail: entry.meaning.replace(/`/g, ''),
    instance: '/journeys/6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21/sms-otp',
    requestId: 'b1946ac9-2f5c-4a4e-9a3b-1f2d3c4b5a69',
  };
  for (const extension of entry.extensions ?? []) value[extension] = EXAMPLE_VALUES[extension];
  return { summary: entry.title, value };
}

/** One problem type as a line of a response description; on a journey operation, how the journey goes on. */
function describe(code: ProblemCode, journey: boolean): string {
  const entry: ProblemEntry = PROBLEM_CATALOGUE[code];
  const next = journey && entry.journey ? ` Then ${CONTINUATION[entry.journey]}.` : '';
  return `- \`${code}\` (\`${problemType(code)}\`): ${entry.meaning}${next}`;
}

/** Response headers, in components.headers (src/openapi.ts adds them). */
export const RESPONSE_HEADERS = {
  RetryAfter: {
    description: 'Seconds to wait before retrying (RFC 9110 §10.2.3)',
    schema: { type: 'integer', example: 30 },
  },
  WwwAuthenticate: {
    description: 'The bearer challenge (RFC 6750 §3), with `error="invalid_token"` when a token was presented',
    required: true,
    schema: { type: 'string', example: 'Bearer realm="ciam", error="invalid_token"' },
  },
  NoStore: {
    description: 'Never cached: `no-store` (the OAuth endpoints add `Pragma: no-cache`)',
    required: true,
    schema: { type: 'string', example: 'no-store' },
  },
  PublicCache: {
    description: 'Public metadata: caches may keep it five minutes',
    required: true,
    schema: { type: 'string', example: 'public, max-age=300' },
  },
  Location: {
    description: 'Where the browser goes next',
    required: true,
    schema: {
      type: 'string',
      format: 'uri',
      example: 'http://localhost:5173/login#journey=6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21',
    },
  },
};
export const header = (name: keyof typeof RESPONSE_HEADERS) => ({ $ref: `#/components/headers/${name}` });

/** What the framework refuses before any operation code runs (problem+json too, with no problem code). */
const PLAIN_BAD_REQUEST =
  '- `about:blank`: a request refused before the operation ran: a path id that is not a UUID, JSON that does not parse.';

/** The documented response for one status: every problem type it can carry, each with an example. */
export function problemResponse(status: number, codes: ProblemCode[], journey = false): ApiResponseOptions {
  const headers: Record<string, { $ref: string }> = { 'Cache-Control': header('NoStore') };
  if (status === 429 || status === 503) headers['Retry-After'] = header('RetryAfter');
  if (status === 401 && codes.includes('UNAUTHENTICATED')) headers['WWW-Authenticate'] = header('WwwAuthenticate');
  return {
    status,
    description: [...codes.map((code) => describe(code, journey)), ...(status === 400 ? [PLAIN_BAD_REQUEST] : [])].join(
      '\n',
    ),
    headers: headers as never,
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemDto) },
        // Each problem type is one named example in components.examples (src/openapi.ts adds them).
        examples: Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/examples/${code}` }])),
      },
    },
  };
}

/**
 * Documents the problem types an operation (or every operation of a controller) can answer with, by
 * code: `@ApiProblems('OTP_INVALID', 'MFA_LOCKED')`. Grouped by status; the catalogue gives the rest.
 */
export function ApiProblems(...codes: ProblemCode[]): MethodDecorator & ClassDecorator {
  return problemDecorators(codes, false);
}

/** ApiProblems for a journey operation: each problem also says how the journey goes on (which token). */
export function ApiJourneyProblems(...codes: ProblemCode[]): MethodDecorator & ClassDecorator {
  return problemDecorators(codes, true);
}

function problemDecorators(codes: ProblemCode[], journey: boolean): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEM_CATALOGUE[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...[...byStatus].map(([status, grouped]) => ApiResponse(problemResponse(status, grouped, journey))),
  );
}

import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** RFC 9457 problem details, as documented in openapi.yaml. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:ciam:problem:transaction-invalid' }) type: string;
  @ApiProperty({ example: 'Transaction token invalid' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiPropertyOptional({ example: 'The transaction token is unknown, already used or expired.' }) detail?: string;
  @ApiPropertyOptional({ example: '/journeys/6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21/password' }) instance?: string;
  @ApiPropertyOptional({ example: 'b1946ac9-2f5c-4a4e-9a3b-1f2d3c4b5a69' }) requestId?: string;
  @ApiPropertyOptional({
    description: 'Validation failures, one per field',
    type: 'array',
    items: {
      type: 'object',
      properties: { field: { type: 'string' }, messages: { type: 'array', items: { type: 'string' } } },
    },
  })
  errors?: Array<{ field: string; messages: string[] }>;
}

/** Documents problem+json answers: `ApiProblems({ 400: 'why', 429: 'why' })`. */
export function ApiProblems(responses: Record<number, string>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...Object.entries(responses).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}

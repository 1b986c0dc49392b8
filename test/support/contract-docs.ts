import { PROBLEM_CATALOGUE, problemType } from '../../src/common/problem-catalogue';
import type { ProblemEntry } from '../../src/common/problem-catalogue';
import { STEP_OPERATIONS } from '../../src/journeys/dto/journey-response.dto';

/**
 * The tables of docs/api-contract.md, rendered from the code they describe (the step map and the problem
 * catalogue); test/e2e/typed-client.e2e-spec.ts fails when the document no longer holds every row.
 */
export function stepMapRows(): string[] {
  return Object.entries(STEP_OPERATIONS).map(([step, { schema, operations, description }]) => {
    const [type, phase] = step.split('/');
    const ops = operations.map((id) => `\`${id}\``).join(', ');
    return `| \`${type}\` | ${phase ? `\`${phase}\`` : '–'} | \`${schema}\` | ${ops} | ${description} |`;
  });
}

export function problemRows(): string[] {
  return Object.entries(PROBLEM_CATALOGUE).map(([code, value]) => {
    const entry: ProblemEntry = value;
    const extensions = (entry.extensions ?? []).map((name) => `\`${name}\``).join(', ') || '–';
    return `| \`${code}\` | \`${problemType(code)}\` | ${entry.status} | ${entry.title} | ${entry.journey ?? '–'} | ${extensions} | ${entry.meaning} |`;
  });
}

if (require.main === module) process.stdout.write(`${stepMapRows().join('\n')}\n\n${problemRows().join('\n')}\n`);

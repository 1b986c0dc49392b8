import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { PROBLEM_CATALOGUE } from '../../src/common/problem-catalogue';
import { STEP_OPERATIONS } from '../../src/journeys/dto/journey-response.dto';
import { expectDocumented, expectSchema, expectValid } from '../support/contract';
import { renderOpenApiYaml } from '../support/openapi';

describe('openapi.yaml', () => {
  it('is what the code generates (run `npm run openapi` after changing a controller or DTO)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8');
    const generated = await renderOpenApiYaml();
    // Compare parsed documents first for a readable diff, then the text for byte-for-byte determinism.
    expect(load(committed)).toEqual(load(generated));
    expect(committed).toBe(generated);
  });
});

describe('openapi.yaml as a frontend reads it', () => {
  type Doc = {
    paths: Record<string, Record<string, { security?: Array<Record<string, string[]>>; requestBody?: unknown }>>;
    components: {
      securitySchemes?: Record<string, unknown>;
      schemas: Record<string, { properties?: Record<string, { $ref?: string }> }>;
    };
  };
  const doc = load(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as Doc;

  it('defines every security scheme an operation asks for, so Swagger UI can authorise /me and /agent calls', () => {
    const used = new Set<string>();
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const requirement of operation.security ?? []) Object.keys(requirement).forEach((name) => used.add(name));
      }
    }
    expect([...used].sort()).toEqual(['agent', 'client', 'customer', 'service']);
    for (const name of ['agent', 'customer', 'service']) {
      expect(doc.components.securitySchemes?.[name]).toMatchObject({ type: 'http', scheme: 'bearer' });
    }
    expect(doc.components.securitySchemes?.client).toMatchObject({ type: 'http', scheme: 'basic' });
    // Every operation says who may call it: a bearer scheme, client authentication (or a public client), or anyone.
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) expect(operation.security).toBeDefined();
    }
    expect(doc.paths['/oauth2/token'].post.security).toEqual([{ client: [] }, {}]);
    expect(doc.paths['/journeys'].post.security).toEqual([]);
    expect(doc.paths['/me/sessions'].get.security).toEqual([{ customer: [] }]);
    expect(doc.paths['/agent/customers/{cupid}/sessions'].get.security).toEqual([{ agent: [] }]);
  });

  it("passes Redocly's recommended ruleset with no errors or warnings", () => {
    const root = join(__dirname, '..', '..');
    const lint = spawnSync(
      process.execPath,
      [join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', 'openapi.yaml', '--format=summary'],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    // Two findings true by design are listed in .redocly.lint-ignore.yaml; nothing else may be reported.
    const problems = `${lint.stdout}${lint.stderr}`.split('\n').filter((line) => /^(error|warning) /.test(line));
    expect(problems).toEqual([]);
    expect(lint.status).toBe(0);
  }, 60_000);

  it('describes the device a journey starts on with the fields POST /journeys takes (not the trusted-device listing)', () => {
    const start = doc.components.schemas.StartJourneyDto.properties!;
    expect(start.device.$ref).toBe('#/components/schemas/JourneyDeviceDto');
    expect(Object.keys(doc.components.schemas.JourneyDeviceDto.properties!)).toEqual(
      expect.arrayContaining(['deviceId', 'data']),
    );
    expect(doc.components.schemas.TrustedDeviceDto.properties).toHaveProperty('platform');
  });
});

describe('the contract check the typed client of the tests runs on every answer', () => {
  const verifyStep = {
    journeyId: '6c1f1e3e-8a43-4c1e-9d0e-0b9a5b8f6d21',
    status: 'PENDING',
    nextStep: {
      type: 'SMS_OTP',
      phase: 'VERIFY',
      maskedPhone: '+44•••••002',
      codeLength: 6,
      codeExpiresAt: '2026-11-24T19:05:00.000Z',
      resendAvailableAt: null,
      attemptsLeft: 5,
    },
    transactionToken: 'kq3C1uYv0t8a9y2mVb2m1sKQd0n8s5Yy2p3uXo7rZ4w',
    transactionExpiresAt: '2026-11-24T19:05:00.000Z',
  };
  const check = (body: unknown) =>
    expectDocumented('POST', '/journeys/{journeyId}/sms-otp/send', 200, 'application/json', body);

  it('accepts a documented step, and refuses an undocumented field, a missing one, or a phase of another step', () => {
    expect(() => check(verifyStep)).not.toThrow();
    expect(() => check({ ...verifyStep, nextStep: { ...verifyStep.nextStep, code: '123456' } })).toThrow(/code/);
    const { attemptsLeft: _left, ...missing } = verifyStep.nextStep;
    expect(() => check({ ...verifyStep, nextStep: missing })).toThrow(/attemptsLeft/);
    expect(() => check({ ...verifyStep, nextStep: { ...verifyStep.nextStep, type: 'PUSH' } })).toThrow();
    expect(() => check({ status: 'COMPLETED', authorizationCode: 'x' })).toThrow(/journeyId/);
  });

  it('refuses a status the operation does not declare', () => {
    expect(() => expectDocumented('POST', '/journeys', 418, 'application/json', {})).toThrow(/does not declare 418/);
  });
});

describe('the problem types in openapi.yaml', () => {
  type Responses = Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
  const doc = load(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, { responses: Responses }>>;
    components: { examples: Record<string, { value: { status: number } }> };
  };

  it('lists every problem type of the catalogue, each returned by at least one operation under its status', () => {
    const problemExamples = Object.keys(doc.components.examples).filter((name) => !name.startsWith('Journey'));
    expect(problemExamples.sort()).toEqual(Object.keys(PROBLEM_CATALOGUE).sort());
    const returned = new Map<string, string>();
    for (const operations of Object.values(doc.paths))
      for (const operation of Object.values(operations))
        for (const [status, response] of Object.entries(operation.responses))
          for (const code of Object.keys(response.content?.['application/problem+json']?.examples ?? {}))
            returned.set(code, status);
    for (const [code, entry] of Object.entries(PROBLEM_CATALOGUE))
      expect([code, returned.get(code)]).toEqual([code, String(entry.status)]);
  });

  it('has example bodies the problem schema accepts, and the check refuses an undocumented member', () => {
    for (const code of Object.keys(PROBLEM_CATALOGUE)) {
      const example = doc.components.examples[code];
      expect(() => expectSchema('ProblemDto', example.value)).not.toThrow();
      expect(() => expectSchema('ProblemDto', { ...example.value, password: 'x' })).toThrow(/password/);
    }
  });
});

describe('the examples in openapi.yaml', () => {
  type Media = { schema?: Record<string, unknown>; example?: unknown; examples?: Record<string, { $ref: string }> };
  type Operation = {
    requestBody?: { content: Record<string, Media> };
    responses: Record<string, { content?: Record<string, Media> }>;
    parameters?: Array<{ name: string; example?: unknown; schema?: { example?: unknown; enum?: unknown[] } }>;
  };
  const doc = load(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
    components: { examples: Record<string, { value: unknown }> };
  };
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ where: `${method.toUpperCase()} ${path}`, operation })),
  );
  const examplesOf = (media: Media) =>
    media.examples
      ? Object.values(media.examples).map(({ $ref }) => doc.components.examples[$ref.split('/').pop()!].value)
      : [media.example];

  it('has an example for every request body, success body and parameter, each one its schema accepts (closed objects)', () => {
    let checked = 0;
    for (const { where, operation } of operations) {
      const bodies = [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.entries(operation.responses)
          .filter(([status]) => status.startsWith('2'))
          .flatMap(([, response]) => Object.values(response.content ?? {})),
      ];
      for (const media of bodies) {
        for (const example of examplesOf(media)) {
          expect([where, example]).not.toEqual([where, undefined]);
          expectValid(media.schema!, example, where);
          checked += 1;
        }
      }
      for (const parameter of operation.parameters ?? [])
        expect([
          where,
          parameter.name,
          parameter.example ?? parameter.schema?.example ?? parameter.schema?.enum,
        ]).not.toContain(undefined);
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('shows a journey answer at every step and phase, and completed', () => {
    const media = doc.paths['/journeys/{journeyId}/password'].post.responses['200'].content!['application/json'];
    const steps = examplesOf(media).map((example) => {
      const answer = example as { status: string; nextStep?: { type: string; phase?: string } };
      return answer.nextStep ? [answer.nextStep.type, answer.nextStep.phase].filter(Boolean).join('/') : answer.status;
    });
    expect(steps.sort()).toEqual([...Object.keys(STEP_OPERATIONS), 'COMPLETED'].sort());
  });
});

describe('schema names', () => {
  it('are unique: no two documented classes share a name (the document would keep only one of them)', () => {
    const names = new Map<string, string[]>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
          const source = readFileSync(path, 'utf8');
          if (!source.includes('@ApiProperty')) continue;
          for (const [, name] of source.matchAll(/^(?:export )?(?:abstract )?class (\w+)/gm))
            names.set(name, [...(names.get(name) ?? []), path]);
        }
      }
    };
    walk(join(__dirname, '..', '..', 'src'));
    expect([...names].filter(([, files]) => files.length > 1)).toEqual([]);
    expect(names.size).toBeGreaterThan(30);
  });
});

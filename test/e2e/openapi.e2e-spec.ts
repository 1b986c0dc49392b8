import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { expectDocumented } from '../support/contract';
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
    expect([...used].sort()).toEqual(['agent', 'client', 'customer']);
    for (const name of ['agent', 'customer']) {
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
    expect(() => check({ journeyId: verifyStep.journeyId, status: 'COMPLETED' })).toThrow(/authorizationCode/);
  });

  it('refuses a status the operation does not declare', () => {
    expect(() => expectDocumented('POST', '/journeys', 418, 'application/json', {})).toThrow(/does not declare 418/);
  });
});

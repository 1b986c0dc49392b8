import type { EntityManager } from 'typeorm';
import type { OAuthClient } from '../clients/oauth-client.entity';
import type { DrsRecommendation } from '../risk/drs-evaluation.entity';
import type { AuthContext } from './auth-context.entity';
import type { AuthStepKind } from './auth-transaction.entity';
import {
  decide,
  deviceActsAsFactor,
  DeviceStanding,
  independentSecondFactor,
  JourneyState,
  LOA_MFA,
  LOA_PASSWORD,
} from './policy';
import { DeviceBindStep } from './steps/device-bind.step';
import { JourneyStep, StepFacts, StepOutcome } from './steps/journey-step';

/**
 * The journey policy as a decision table (STYLE.md, habit 24): each row is the journey's situation and
 * what policy must answer. No HTTP, no database: steps are stand-ins that say whether they apply, except
 * the device binding, whose availability is the rule under test and so is the real step.
 */
class StandInStep extends JourneyStep {
  constructor(
    readonly kind: AuthStepKind,
    readonly role: JourneyStep['role'],
    private readonly applies: boolean,
    override readonly bindsTransaction = false,
  ) {
    super();
  }
  maxTries(): number {
    return 1;
  }
  override async availableFor(): Promise<boolean> {
    return this.applies;
  }
  async complete(): Promise<StepOutcome> {
    throw new Error('not run by policy');
  }
}

const PASSWORD: StepFacts = { amr: ['pwd'], cupid: 'CUPID-1' };
const PASSWORD_MFA_ALWAYS: StepFacts = { ...PASSWORD, mfaRequired: true };
const SMS: StepFacts = { amr: ['otp', 'sms'], secondFactor: true };
const PUSH_BY_A: StepFacts = {
  amr: ['swk', 'push'],
  secondFactor: true,
  trustedDeviceId: 'dev-a',
  factorDeviceThumbprint: 'thumb-a',
};
const PROOF_OK: StepFacts = { amr: ['swk'], deviceVerified: true, trustedDeviceId: 'dev-a' };
const PROOF_BAD: StepFacts = { amr: [], deviceVerified: false };
const BOUND: StepFacts = { amr: [], trustedDeviceId: 'dev-new', boundDeviceId: 'dev-new' };

interface Situation {
  risk: DrsRecommendation | null;
  passed: Array<[AuthStepKind, StepFacts]>;
  bindDevice?: boolean;
  /** Whether the customer can do a second factor (has a phone, a device bound after MFA). */
  factors?: boolean;
  /** Whether this device claims a binding that may prove itself. */
  proof?: boolean;
  /** The level asked for (acr_values, the client's minimum). */
  acr?: string;
  /** A step-up of a live session with this level and these methods (a re-authentication: its sign-in is too old). */
  stepUp?: { acr: string; amr: string[]; reauthenticate?: boolean };
}

type Expected =
  | { next: 'STEP'; steps: AuthStepKind[] }
  | { next: 'EVALUATE_RISK' }
  | { next: 'FAIL'; denied: boolean }
  | { next: 'COMPLETE'; acr: string; amr: string[]; trustedDeviceId?: string | null; bindingRefused?: string };

const FACTORS: AuthStepKind[] = ['SMS_OTP', 'PUSH'];
const LOA3 = 'urn:ciam:loa:3';
const PUSH_FOR_TRANSACTION: StepFacts = { ...PUSH_BY_A, transactionBound: true };
const LOA1_SESSION = { acr: LOA_PASSWORD, amr: ['pwd'] };
const STALE_LOA2_SESSION = { acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'], reauthenticate: true };
const STALE_LOA3_SESSION = { acr: LOA3, amr: ['pwd', 'swk', 'push'], reauthenticate: true };

// situation                                                                                                   → decision
const TABLE: Array<[string, Situation, Expected]> = [
  ['nothing done yet', { risk: null, passed: [] }, { next: 'STEP', steps: ['PASSWORD'] }],
  ['password, no risk yet', { risk: null, passed: [['PASSWORD', PASSWORD]] }, { next: 'EVALUATE_RISK' }],
  ['risk DENY', { risk: 'DENY', passed: [['PASSWORD', PASSWORD]] }, { next: 'FAIL', denied: true }],
  [
    'ALLOW, nothing else asked',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD]] },
    { next: 'COMPLETE', acr: LOA_PASSWORD, amr: ['pwd'] },
  ],
  [
    'ALLOW, customer always needs MFA',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD_MFA_ALWAYS]] },
    { next: 'STEP', steps: FACTORS },
  ],
  ['CHALLENGE', { risk: 'CHALLENGE', passed: [['PASSWORD', PASSWORD]] }, { next: 'STEP', steps: FACTORS }],
  [
    'CHALLENGE, no factor available',
    { risk: 'CHALLENGE', passed: [['PASSWORD', PASSWORD]], factors: false },
    { next: 'FAIL', denied: false },
  ],
  [
    'CHALLENGE, SMS passed',
    {
      risk: 'CHALLENGE',
      passed: [
        ['PASSWORD', PASSWORD],
        ['SMS_OTP', SMS],
      ],
    },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'] },
  ],
  [
    'ALLOW, a bound device claims itself',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD_MFA_ALWAYS]], proof: true },
    { next: 'STEP', steps: ['DEVICE_PROOF'] },
  ],
  [
    'CHALLENGE, a bound device claims itself: no proof asked',
    { risk: 'CHALLENGE', passed: [['PASSWORD', PASSWORD]], proof: true },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    'ALLOW, device proof good: stands in for MFA',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD_MFA_ALWAYS],
        ['DEVICE_PROOF', PROOF_OK],
      ],
      proof: true,
    },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'swk'], trustedDeviceId: 'dev-a' },
  ],
  [
    'ALLOW, device proof refused: MFA comes back',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD_MFA_ALWAYS],
        ['DEVICE_PROOF', PROOF_BAD],
      ],
      proof: true,
    },
    { next: 'STEP', steps: FACTORS },
  ],
  // Issue 12: a password alone never creates a factor.
  [
    'ALLOW, binding asked, no second factor yet: step-up first',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD]], bindDevice: true },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    'ALLOW, binding asked, no factor available: completes unbound',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD]], bindDevice: true, factors: false },
    { next: 'COMPLETE', acr: LOA_PASSWORD, amr: ['pwd'], bindingRefused: 'no second factor available' },
  ],
  [
    'ALLOW, binding asked, device proof good but no second factor: step-up',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['DEVICE_PROOF', PROOF_OK],
      ],
      bindDevice: true,
      proof: true,
    },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    'ALLOW, binding asked, SMS passed: bind',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['SMS_OTP', SMS],
      ],
      bindDevice: true,
    },
    { next: 'STEP', steps: ['DEVICE_BIND'] },
  ],
  [
    'ALLOW, binding asked, push by another device passed: bind',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['PUSH', PUSH_BY_A],
      ],
      bindDevice: true,
    },
    { next: 'STEP', steps: ['DEVICE_BIND'] },
  ],
  [
    'ALLOW, bound after SMS: complete on the new device',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['SMS_OTP', SMS],
        ['DEVICE_BIND', BOUND],
      ],
      bindDevice: true,
    },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'], trustedDeviceId: 'dev-new' },
  ],
  // Levels of assurance asked for (issue 15)
  [
    'loa2 asked, password, risk ALLOW',
    { risk: 'ALLOW', passed: [['PASSWORD', PASSWORD]], acr: LOA_MFA },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    'loa2 asked, password and SMS code',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['SMS_OTP', SMS],
      ],
      acr: LOA_MFA,
    },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'] },
  ],
  [
    'loa3 asked, an SMS code approves no transaction: cannot be reached',
    {
      risk: 'ALLOW',
      passed: [
        ['PASSWORD', PASSWORD],
        ['SMS_OTP', SMS],
      ],
      acr: LOA3,
    },
    { next: 'FAIL', denied: false },
  ],
  // Step-up of a live session: never the password, never a second risk evaluation
  [
    'step-up loa1 to loa2, nothing yet',
    { risk: null, passed: [], acr: LOA_MFA, stepUp: LOA1_SESSION },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    'step-up loa1 to loa2, SMS code passed',
    { risk: null, passed: [['SMS_OTP', SMS]], acr: LOA_MFA, stepUp: LOA1_SESSION },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'] },
  ],
  [
    'step-up without a factor available',
    { risk: null, passed: [], acr: LOA_MFA, stepUp: LOA1_SESSION, factors: false },
    { next: 'FAIL', denied: false },
  ],
  [
    'step-up to loa3 (a transaction): only the push, which signs it',
    { risk: null, passed: [], acr: LOA3, stepUp: LOA1_SESSION },
    { next: 'STEP', steps: ['PUSH'] },
  ],
  [
    'step-up to loa3, the push approved the transaction',
    { risk: null, passed: [['PUSH', PUSH_FOR_TRANSACTION]], acr: LOA3, stepUp: LOA1_SESSION },
    { next: 'COMPLETE', acr: LOA3, amr: ['pwd', 'swk', 'push'] },
  ],
  // Re-authentication (issue 17 item 5): the level is there, the sign-in too old; a factor again, never for free
  [
    're-authentication of a loa2 session: a second factor again, not the password',
    { risk: null, passed: [], acr: LOA_MFA, stepUp: STALE_LOA2_SESSION },
    { next: 'STEP', steps: FACTORS },
  ],
  [
    're-authentication of a loa2 session, SMS code passed',
    { risk: null, passed: [['SMS_OTP', SMS]], acr: LOA_MFA, stepUp: STALE_LOA2_SESSION },
    { next: 'COMPLETE', acr: LOA_MFA, amr: ['pwd', 'otp', 'sms'] },
  ],
  [
    're-authentication without a factor available: nothing renewed',
    { risk: null, passed: [], acr: LOA_MFA, stepUp: STALE_LOA2_SESSION, factors: false },
    { next: 'FAIL', denied: false },
  ],
  [
    're-authentication of a loa3 session keeps its level',
    { risk: null, passed: [['SMS_OTP', SMS]], acr: LOA_MFA, stepUp: STALE_LOA3_SESSION },
    { next: 'COMPLETE', acr: LOA3, amr: ['pwd', 'swk', 'push', 'otp', 'sms'] },
  ],
];

function stateOf(situation: Situation): JourneyState {
  const context = {
    id: 'ctx-1',
    cupid: situation.passed.length > 0 ? 'CUPID-1' : null,
    bindDevice: situation.bindDevice ?? false,
    deviceKeyThumbprint: situation.proof ? 'thumb-a' : null,
    options: {
      ...(situation.acr ? { acr: situation.acr } : {}),
      ...(situation.stepUp ? { stepUp: { sessionId: 'session-1', ...situation.stepUp } } : {}),
    },
  } as AuthContext;
  if (situation.stepUp) context.cupid = 'CUPID-1';
  return {
    context,
    client: {} as OAuthClient,
    risk: situation.risk,
    transient: {},
    db: {} as EntityManager,
    passed: situation.passed.map(([step, facts]) => ({ step, facts })),
  };
}

function stepsFor(situation: Situation): JourneyStep[] {
  const factors = situation.factors ?? true;
  return [
    new StandInStep('PASSWORD', 'primary', true),
    new StandInStep('DEVICE_PROOF', 'device-proof', situation.proof ?? false),
    new StandInStep('SMS_OTP', 'second-factor', factors),
    new StandInStep('PUSH', 'second-factor', factors, true),
    new StandInStep('ESIGN', 'consent', false),
    new DeviceBindStep(undefined as never, undefined as never, undefined as never, undefined as never),
  ];
}

describe('journey policy: the decision table', () => {
  it.each(TABLE)('%s', async (_name, situation, expected) => {
    const decision = await decide(stateOf(situation), stepsFor(situation));
    switch (decision.next) {
      case 'STEP':
        expect({ next: decision.next, steps: decision.steps.map((step) => step.kind) }).toEqual(expected);
        break;
      case 'FAIL':
        expect({ next: decision.next, denied: decision.denied }).toEqual(expected);
        break;
      case 'COMPLETE': {
        const { next, acr, amr, trustedDeviceId, bindingRefused } = decision;
        expect({ next, acr, amr, trustedDeviceId, bindingRefused }).toEqual({
          trustedDeviceId: null,
          bindingRefused: undefined,
          ...expected,
        });
        break;
      }
      default:
        expect({ next: decision.next }).toEqual(expected);
    }
  });
});

describe('journey policy: which second factors vouch for a device', () => {
  // passed steps                                         device key  → an independent second factor?
  const table: Array<[string, StepFacts[], string | null, boolean]> = [
    ['none', [], null, false],
    ['a password only', [PASSWORD], null, false],
    ['a device proof is not a second factor', [PASSWORD, PROOF_OK], null, false],
    ['an SMS code, any device', [PASSWORD, SMS], null, true],
    ['an SMS code, on device A', [PASSWORD, SMS], 'thumb-a', true],
    ['a push approved by A, for device B', [PASSWORD, PUSH_BY_A], 'thumb-b', true],
    ['a push approved by A, for device A itself', [PASSWORD, PUSH_BY_A], 'thumb-a', false],
    ['a push by A and an SMS code, for device A', [PASSWORD, PUSH_BY_A, SMS], 'thumb-a', true],
  ];
  it.each(table)('%s', (_name, facts, thumbprint, expected) => {
    expect(
      independentSecondFactor(
        facts.map((entry) => ({ step: 'PASSWORD' as const, facts: entry })),
        thumbprint,
      ),
    ).toBe(expected);
  });
});

describe('journey policy: which bound devices act as a factor', () => {
  const device = (overrides: Partial<DeviceStanding>): DeviceStanding => ({
    cupid: 'CUPID-1',
    status: 'ACTIVE',
    boundWithMfa: true,
    ...overrides,
  });
  // device                                                   customer   → acts as a factor?
  const table: Array<[string, DeviceStanding | null, string | null, boolean]> = [
    ['bound after a second factor', device({}), 'CUPID-1', true],
    ['bound with a password alone', device({ boundWithMfa: false }), 'CUPID-1', false],
    ['revoked', device({ status: 'REVOKED' }), 'CUPID-1', false],
    ["another customer's", device({}), 'CUPID-2', false],
    ['customer not known yet', device({}), null, false],
    ['no such device', null, 'CUPID-1', false],
  ];
  it.each(table)('%s', (_name, standing, cupid, expected) => {
    expect(deviceActsAsFactor(standing, cupid)).toBe(expected);
  });
});

describe('journey policy: sign-in through an upstream identity provider (FEDERATED)', () => {
  class FederatedStandIn extends StandInStep {
    override readonly passwordless = true;
    constructor(private readonly providers: boolean) {
      super('FEDERATED', 'primary', providers);
    }
    override async hintedFor(state: JourneyState): Promise<boolean> {
      return this.providers && state.context.options?.idpHint === 'bankid';
    }
  }
  const UNLINKED: StepFacts = { amr: [], linkPending: true, linkNeedsMfa: false };
  const UNLINKED_STRONG: StepFacts = { ...UNLINKED, linkNeedsMfa: true };
  const LINKED: StepFacts = { amr: ['fed'], cupid: 'CUPID-1', multiFactor: false, federatedAcr: null };
  const LINKED_STRONG: StepFacts = {
    amr: ['fed', 'mfa'],
    cupid: 'CUPID-1',
    mfaRequired: true,
    multiFactor: true,
    federatedAcr: LOA_MFA,
  };

  interface FederatedSituation {
    providers?: boolean;
    idpHint?: string;
    risk: DrsRecommendation | null;
    passed: Array<[AuthStepKind, StepFacts]>;
  }
  // situation                                                                           → decision
  const table: Array<[string, FederatedSituation, Expected]> = [
    [
      'no provider: the password alone',
      { providers: false, risk: null, passed: [] },
      { next: 'STEP', steps: ['PASSWORD'] },
    ],
    [
      'providers: offered beside the password',
      { risk: null, passed: [] },
      { next: 'STEP', steps: ['PASSWORD', 'FEDERATED'] },
    ],
    [
      'idp_hint of an active provider: first',
      { idpHint: 'bankid', risk: null, passed: [] },
      { next: 'STEP', steps: ['FEDERATED', 'PASSWORD'] },
    ],
    [
      'idp_hint of another: as usual',
      { idpHint: 'other', risk: null, passed: [] },
      { next: 'STEP', steps: ['PASSWORD', 'FEDERATED'] },
    ],
    [
      'an unlinked subject: the password proves the CUPID',
      { risk: null, passed: [['FEDERATED', UNLINKED]] },
      { next: 'STEP', steps: ['PASSWORD'] },
    ],
    [
      'unlinked, then the password: on by policy',
      {
        risk: 'ALLOW',
        passed: [
          ['FEDERATED', UNLINKED],
          ['PASSWORD', PASSWORD],
        ],
      },
      { next: 'COMPLETE', acr: LOA_PASSWORD, amr: ['pwd'] },
    ],
    [
      'unlinked at a provider that stands in for MFA: linking it needs a second factor',
      {
        risk: 'ALLOW',
        passed: [
          ['FEDERATED', UNLINKED_STRONG],
          ['PASSWORD', PASSWORD],
        ],
      },
      { next: 'STEP', steps: FACTORS },
    ],
    ['linked: risk next', { risk: null, passed: [['FEDERATED', LINKED]] }, { next: 'EVALUATE_RISK' }],
    [
      'linked, CHALLENGE: a second factor',
      { risk: 'CHALLENGE', passed: [['FEDERATED', LINKED]] },
      { next: 'STEP', steps: FACTORS },
    ],
    [
      'linked at a provider that satisfies MFA: no second factor, its level',
      { risk: 'CHALLENGE', passed: [['FEDERATED', LINKED_STRONG]] },
      { next: 'COMPLETE', acr: LOA_MFA, amr: ['fed', 'mfa'] },
    ],
  ];
  it.each(table)('%s', async (_name, situation, expected) => {
    const state = stateOf({ risk: situation.risk, passed: situation.passed });
    state.context.cupid = situation.passed.some(([, facts]) => facts.cupid) ? 'CUPID-1' : null;
    if (situation.idpHint) state.context.options = { idpHint: situation.idpHint };
    const steps = [
      ...stepsFor({ risk: situation.risk, passed: [] }),
      new FederatedStandIn(situation.providers ?? true),
    ];
    const decision = await decide(state, steps);
    if (decision.next === 'STEP')
      expect({ next: 'STEP', steps: decision.steps.map((step) => step.kind) }).toEqual(expected);
    else if (decision.next === 'COMPLETE')
      expect({ next: decision.next, acr: decision.acr, amr: decision.amr }).toEqual(expected);
    else expect({ next: decision.next }).toEqual(expected);
  });
});

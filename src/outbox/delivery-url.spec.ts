import { deliveryUrlProblem } from './delivery-url';

describe('deliveryUrlProblem', () => {
  it.each([
    ['https://rp.example/logout', 'production'],
    ['https://rp.example:8443/bcl?tenant=1', 'production'],
    ['http://127.0.0.1:4000/logout', 'development'],
    ['http://localhost/logout', 'test'],
    ['http://[::1]:9/x', 'test'],
  ] as const)('accepts %s in %s', (url, env) => {
    expect(deliveryUrlProblem(url, env)).toBeNull();
  });

  it.each([
    ['http://127.0.0.1:4000/logout', 'production', 'must be an https URL'],
    ['http://rp.example/logout', 'development', 'must be an https URL (http only on loopback)'],
    ['ftp://rp.example/x', 'development', 'must be an https URL (http only on loopback)'],
    ['https://user:pw@rp.example/x', 'production', 'must not carry credentials'],
    ['https://rp.example/x#frag', 'production', 'must not have a fragment'],
    ['/relative', 'development', 'is not an absolute URL'],
  ] as const)('refuses %s in %s', (url, env, problem) => {
    expect(deliveryUrlProblem(url, env)).toBe(problem);
  });
});

import { isCleanPercentEncoded, isCleanString, isCleanValue, percentDecoded } from './encoding';

describe('hostile-byte checks', () => {
  const bytes = (text: string) => Buffer.from(text, 'latin1');

  it.each([
    ['/journeys/abc?state=%C3%A9t%C3%A9', true],
    ['/a?b=%E2%82%AC', true],
    ['/a?b=%zz', true],
    ['/a?b=%00', false],
    ['/a?b=%C3%28', false],
    ['/a?b=%C0%AF', false],
    ['/a?b=%E2%82', false],
    ['/a?b=%ED%A0%80', false],
  ])('percent-encoded %s clean: %s', (text, clean) => {
    expect(isCleanPercentEncoded(bytes(text))).toBe(clean);
  });

  it('decodes escapes to bytes and keeps malformed ones', () => {
    expect(percentDecoded(bytes('a%41%4a%zz%')).toString('latin1')).toBe('aAJ%zz%');
  });

  it.each([
    ['plain', 'plain', true],
    ['an emoji (a surrogate pair)', 'emoji 😀', true],
    ['a NUL', 'nul \u0000', false],
    ['a lone high surrogate', 'lone high \ud800x', false],
    ['a lone low surrogate', 'lone low \udc00', false],
  ])('string with %s', (_name, text, clean) => {
    expect(isCleanString(text)).toBe(clean);
  });

  it('walks values, keys included', () => {
    expect(isCleanValue({ a: [{ b: 'ok' }], c: 1, d: null })).toBe(true);
    expect(isCleanValue({ a: [{ b: 'x\u0000' }] })).toBe(false);
    expect(isCleanValue({ ['k\u0000']: 'v' })).toBe(false);
  });

  it('finds a NUL however deep it is nested', () => {
    let deep: unknown = 'x\u0000';
    for (let level = 0; level < 10_000; level += 1) deep = level % 2 ? { a: deep } : [deep];
    expect(isCleanValue(deep)).toBe(false);
  });
});

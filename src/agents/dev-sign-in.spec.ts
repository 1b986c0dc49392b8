import { isLoopbackPeer } from './dev-sign-in.controller';

// The development sign-in mints support-agent tokens: only a caller on the same machine may ask, whatever
// interface the development server listens on.
describe('isLoopbackPeer', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('admits %s', (address) => {
    expect(isLoopbackPeer(address)).toBe(true);
  });

  it.each([
    '10.0.0.7',
    '192.168.1.20',
    '::ffff:10.0.0.7',
    'fe80::1',
    '::',
    '0.0.0.0',
    '128.0.0.1',
    '127.0.0.1.evil',
    '',
    undefined,
  ])('refuses %s', (address) => {
    expect(isLoopbackPeer(address)).toBe(false);
  });
});

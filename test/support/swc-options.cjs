// The one swc setting for TypeScript in tests: jest's transform (jest.config.js) and the compiled copy of
// src/ that specs run as a process (test/support/compile-src.mjs) use it, so both run the same JavaScript.
// Decorator metadata as tsc emits it (emitDecoratorMetadata): NestJS injects constructor parameters by it.
// A fresh object per caller: @swc/jest writes its own settings (jest hoisting, inline source maps) into the
// object it is given, which must not leak into the compiled copy when both run in jest's main process.
function swcOptions() {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  };
}

module.exports = { swcOptions };

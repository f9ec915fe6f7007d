import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['hosttest/**/*.test.ts'],
    // Simulator scenarios run hours of virtual time; give them room on a shared 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

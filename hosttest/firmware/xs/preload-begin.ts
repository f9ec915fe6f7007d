// First import of a preload-check bundle (hosttest/firmware/bundle.ts, preloadCosimBundle): the
// Native API shim, then "preloading" on, so any host function a module's top level calls throws,
// as it would in mcconfig's preload step on the build machine.

import { preloading } from './globals';

preloading(true);

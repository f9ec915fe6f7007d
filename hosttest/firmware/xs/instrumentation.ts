// Stand-in for Moddable's "instrumentation" module as in a release (uninstrumented) build: every
// figure is undefined, so the firmware leaves the heap table off its status page.

const Instrumentation = {
  get(_what: number | undefined): number | undefined {
    return undefined;
  },
  map(_name: string): number | undefined {
    return undefined;
  },
  name(_what: number | undefined): string | undefined {
    return undefined;
  },
};

export default Instrumentation;

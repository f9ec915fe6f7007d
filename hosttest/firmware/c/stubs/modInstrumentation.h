/* Stand-in: modules/base/instrumentation/modInstrumentation.h in a build without instrumentation. */
#define modInstrumentationAdjust(what, value) ((void)(value))

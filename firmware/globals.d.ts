// The XS "Native" API (documentation/xs/XS in C.md, section "Native"): `Native(name)` returns a
// constructor whose instances are host objects with the host destructor `name`; `native(name)`
// returns the host function `name` (call it with `.call(this, ...)`). xsc recognises only calls
// with a single string literal and compiles them to the same byte code as the `@` syntax.
//
// The Moddable SDK declares exactly these two in $(MODDABLE)/xs/includes/xs.d.ts (since late
// 2025), which is what mcconfig's tsc reads on a device build. @moddable/typings 5.6 on npm
// predates them, so the host type check (firmware/tsconfig.json) reads them from here. This file
// is not a module and is not listed in manifest.json.

declare function Native(name: string): new (...args: any[]) => any;
declare function native(name: string): (...args: any[]) => any;

// What a scenario run by hosttest/xs/runner.ts uses to talk to the host. It is bundled into the
// scenario and runs inside XS, so it may use only ES2022 and the two globals xsnap-worker provides:
// `issueCommand(ArrayBuffer): ArrayBuffer` (a synchronous request to the host over the worker's
// pipes) and TextEncoder/TextDecoder. Every message is one JSON object; runner.ts answers it.
//
//   import { scenario, log } from '../scenario-api';
//   scenario((args) => { log('hello'); return { answer: 42 }; });   // may also return a Promise
//
// or, at a lower level, call `report(value)` exactly once and `fail(error)` on failure.

/** Messages from the scenario to the runner. Keep in step with runner.ts. */
export type ScenarioMessage =
  | { t: 'log'; line: string }
  | { t: 'result'; value: unknown }
  | { t: 'error'; message: string; stack?: string }
  | { t: 'args' };

type XsGlobals = { issueCommand?: (request: ArrayBuffer) => ArrayBuffer };

function send(message: ScenarioMessage): string {
  const issueCommand = (globalThis as unknown as XsGlobals).issueCommand;
  if (typeof issueCommand !== 'function') {
    throw new Error('scenario-api: no issueCommand global; run this file with hosttest/xs/runner.ts');
  }
  const bytes = new TextEncoder().encode(JSON.stringify(message));
  const reply = issueCommand(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return new TextDecoder().decode(new Uint8Array(reply));
}

/** Print one line into the run's `output` (what `print(...)` does too, under the runner). */
export function log(...parts: unknown[]): void {
  send({ t: 'log', line: parts.map((part) => String(part)).join(' ') });
}

/**
 * Report the scenario's result: a JSON value (no undefined, functions or BigInt). Call it exactly
 * once; a second call makes the run fail.
 */
export function report(value: unknown): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`report(): result is not JSON-serializable (${String(error)})`);
  }
  if (text === undefined) throw new TypeError('report(): result must be a JSON value, got ' + typeof value);
  send({ t: 'result', value: JSON.parse(text) as unknown });
}

/** Make the run fail with this error (its message and XS stack end up in the run's `error`). */
export function fail(error: unknown): void {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
  send(stack === undefined ? { t: 'error', message: String(error) } : { t: 'error', message: String(error), stack });
}

let cachedArgs: { value: unknown } | undefined;

/** The `args` given to runInXs (a JSON value; null when none was given). */
export function args<T = unknown>(): T {
  if (cachedArgs === undefined) cachedArgs = { value: JSON.parse(send({ t: 'args' })) as unknown };
  return cachedArgs.value as T;
}

/**
 * Run `body(args)` and report what it returns (awaiting it if it is a Promise); report a throw or a
 * rejection as the run's error.
 */
export function scenario<A = unknown>(body: (args: A) => unknown): void {
  let value: unknown;
  try {
    value = body(args<A>());
  } catch (error) {
    fail(error);
    return;
  }
  if (value instanceof Promise) value.then(report, fail).catch(fail);
  else report(value);
}

// The ping acceptance scenario inside XS: two synstack interfaces on the simulator, 20 % loss,
// 100 answered pings each way. ping.test.ts runs the same scenario in Node and compares: the core
// must behave identically, frame for frame, under both engines.

import { pingSummary, runPingScenario } from '../../scenarios/ping';
import { args, scenario } from '../scenario-api';

interface PingArgs {
  seed: number;
  loss: number;
  pings: number;
}

scenario(() => {
  const a = args<PingArgs>();
  return pingSummary(runPingScenario({ seed: a.seed, loss: a.loss, pings: a.pings }));
});

// The SYN-flood scenario inside XS (a reduced flood: see hosttest/xs/synflood.test.ts), so the
// server's SYN cache, cookies and the whole legitimate traffic run in the engine the ESP32 uses;
// the test runs the same options in Node and compares the results by deep equality.

import { runSynFlood, type SynFloodOptions } from '../../scenarios/synflood';
import { args, scenario } from '../scenario-api';

scenario(() => runSynFlood(args<SynFloodOptions>()));

// The TCP echo acceptance scenario inside XS: N connections between two synstack hosts, each
// echoing `bytes`, closed half from each side. tcp-echo.test.ts runs the same in Node and compares.

import { runEcho, type EchoOptions } from '../../scenarios/tcp-echo';
import { args, scenario } from '../scenario-api';

scenario(() => runEcho(args<EchoOptions>()));

// The bulk-transfer scenario inside XS: two synstack hosts exchange `bytes` each way at once over
// an impaired simulated link, hashing both directions with the portable SHA-256.
// hosttest/xs/bulk.test.ts runs the same options under Node and compares the figures.

import { type BulkOptions, runBulk } from '../../scenarios/bulk';
import { args, scenario } from '../scenario-api';

scenario(() => runBulk(args<BulkOptions>()));

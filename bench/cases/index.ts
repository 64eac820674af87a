import type { BenchCase } from '../lib/types';
import { analyticsCase } from './analytics';
import { compressionCase } from './compression';
import { httpOverheadCase } from './http-overhead';
import { pullCase } from './pull';
import { pushCase } from './push';
import { queueCase } from './queue';
import { scopedPullCase } from './scoped-pull';

/** Every case, in run order. A case is one module exporting a BenchCase. */
export const CASES: BenchCase[] = [
  pushCase,
  pullCase,
  scopedPullCase,
  queueCase,
  analyticsCase,
  compressionCase,
  httpOverheadCase,
];

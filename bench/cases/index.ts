import type { BenchCase } from '../lib/types';
import { analyticsCase } from './analytics';
import { compressionCase } from './compression';
import { httpOverheadCase } from './http-overhead';
import { liveCase } from './live';
import { pullCase } from './pull';
import { pushCase } from './push';
import { pushReplicasCase } from './push-replicas';
import { pushScopesCase } from './push-scopes';
import { pushShapesCase } from './push-shapes';
import { queueCase } from './queue';
import { resyncCase } from './resync';
import { retentionCase } from './retention';
import { scopedPullCase } from './scoped-pull';

/** Every case, in run order. A case is one module exporting a BenchCase. */
export const CASES: BenchCase[] = [
  pushCase,
  pushScopesCase,
  pushReplicasCase,
  pushShapesCase,
  pullCase,
  scopedPullCase,
  queueCase,
  analyticsCase,
  compressionCase,
  httpOverheadCase,
  liveCase,
  resyncCase,
  retentionCase,
];

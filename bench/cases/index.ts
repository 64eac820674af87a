import type { BenchCase } from '../lib/types';
import { pushCase } from './push';

/** Every case, in run order. A case is one module exporting a BenchCase. */
export const CASES: BenchCase[] = [pushCase];

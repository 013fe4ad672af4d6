import type { BenchParams } from '../params';
import type { BenchStack } from '../stack';
import type { Row } from '../table';

/** What a measure hands back: its table rows and the details written to latest.json. */
export interface MeasureResult {
  rows: Row[];
  details: Record<string, unknown>;
}

export type Measure = (stack: BenchStack, params: BenchParams) => Promise<MeasureResult>;

export const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

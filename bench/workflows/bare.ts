import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { BareActivities } from '../bare-activities';

/**
 * The bench's yardstick (measure a): a workflow that only runs no-op activities, one after the
 * other, as many as one order lifecycle runs (regular and local, counted from an order's history).
 * Bundled for the bench's own worker; not part of the product's workflows/.
 */

export interface BareWorkflowInput {
  activities: number;
  localActivities: number;
}

const { noop } = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

export async function bareWorkflow(input: BareWorkflowInput): Promise<number> {
  // The order workflow's local activities (context, gate) come before its Xero steps.
  for (let i = 0; i < input.localActivities; i++) await local.noop();
  for (let i = 0; i < input.activities; i++) await noop();
  return input.activities + input.localActivities;
}

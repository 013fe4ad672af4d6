import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { checkWorker } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Runs one activity on a worker and reports what it saw. Ops can run it from the CLI:
 * `temporal workflow execute --type diagnosticsWorkflow --task-queue xero-sync`.
 */
export async function diagnosticsWorkflow() {
  const worker = await checkWorker();
  return { ...worker, workflowId: workflowInfo().workflowId };
}

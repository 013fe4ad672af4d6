import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests, production image); otherwise workflows/ is bundled at start. */
  workflowBundlePath?: string;
  /** How long in-flight activities may run on after shutdown starts before they are cancelled and handed back. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /** Activity slots of this worker (WORKER_ACTIVITY_SLOTS; DEFAULT_ACTIVITY_SLOTS when unset); tests shrink it to make slots scarce. */
  maxConcurrentActivityTaskExecutions?: number;
}

/**
 * Activities here mostly wait (on Xero, the rate limiter, a batch filling), so a slot costs a pending
 * promise, not a core; and a batch forms only among the activities a worker runs at once. At the SDK's
 * 100, 500 orders across 4 organisations at Xero's real limits cost 1.23 calls each; at 400, 1.17
 * (`npm run bench` (b)), and the burst settled in 195 s instead of 236 s.
 */
export const DEFAULT_ACTIVITY_SLOTS = 400;

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: opts.shutdownGraceTime ?? '20s',
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? DEFAULT_ACTIVITY_SLOTS,
  });
}

import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { ExportActivities } from '../activities/exports';
import {
  cancelExportSignal,
  exportProgressQuery,
  type ExportProgress,
  type ExportWorkflowInput,
} from '../src/exports/messages';

/**
 * One bulk export: documents are handed to their own workflows a wave at a time (a wave's invoice
 * creates reach Xero together, in batches of up to 50), with a cap on how many are in flight, until
 * every document has an outcome; then the sentence and `export.completed`. The export's items live
 * in the database, so the workflow carries nothing large and a killed worker resumes where it was:
 * a wave handed over twice is the same events to the documents' workflows.
 */

const acts = proxyActivities<ExportActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function exportWorkflow(input: ExportWorkflowInput): Promise<{ sentence: string }> {
  const waveSize = input.waveSize ?? 50;
  const maxInFlight = input.maxInFlight ?? 200;
  const pollMs = input.pollMs ?? 2_000;
  let cancelled = false;
  let progress: ExportProgress = {
    phase: 'handing_over',
    total: 0,
    exported: 0,
    refused: 0,
    failed: 0,
    pending: 0,
    cancelled: 0,
    queued: 0,
  };
  setHandler(cancelExportSignal, () => {
    cancelled = true;
  });
  setHandler(exportProgressQuery, () => progress);

  for (;;) {
    if (cancelled) await acts.cancelExportQueue({ exportId: input.exportId });
    progress = await acts.readExportProgress({ accountId: input.accountId, exportId: input.exportId });
    if (progress.pending === 0) break;
    const inFlight = progress.pending - progress.queued;
    if (progress.queued > 0 && inFlight + Math.min(waveSize, progress.queued) <= maxInFlight) {
      await acts.handOverExportWave({ accountId: input.accountId, exportId: input.exportId, max: waveSize });
    } else {
      // Settling (or at the cap): wake on a cancel, or look again after a while.
      await condition(() => cancelled && progress.queued > 0, pollMs);
    }
    if (!cancelled && workflowInfo().continueAsNewSuggested) await continueAsNew<typeof exportWorkflow>(input);
  }
  const result = await acts.finishExport({ accountId: input.accountId, exportId: input.exportId, cancelled });
  progress = { ...progress, phase: 'done' };
  return result;
}

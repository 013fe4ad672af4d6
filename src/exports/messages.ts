import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The export workflow's messages and id, shared by the workflow, the activities and the web. */

export const EXPORT_WORKFLOW_TYPE = 'exportWorkflow';

export function exportWorkflowId(accountId: string, exportId: string): string {
  return `export:${accountId}:${exportId}`;
}

export interface ExportWorkflowInput {
  accountId: string;
  exportId: string;
  /** Documents handed to their workflows at a time (each wave's creates batch in one Xero request). */
  waveSize?: number;
  /** At most this many handed over and not yet settled: the rest wait in the export's queue. */
  maxInFlight?: number;
  /** How often progress is read while documents are in flight. */
  pollMs?: number;
}

export interface ExportProgress {
  phase: 'handing_over' | 'settling' | 'done';
  total: number;
  exported: number;
  refused: number;
  failed: number;
  pending: number;
  cancelled: number;
  queued: number;
}

export const cancelExportSignal = defineSignal('cancelExport');
export const exportProgressQuery = defineQuery<ExportProgress>('exportProgress');

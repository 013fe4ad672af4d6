import { createDiagnosticsActivities, type DiagnosticsDeps } from './diagnostics';

export type ActivityDeps = DiagnosticsDeps;

/** All activities the worker registers, built from their dependencies (as in Temporal's samples). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDiagnosticsActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import { createDiagnosticsActivities, type DiagnosticsDeps } from './diagnostics';
import { createOrderActivities, type OrderActivityDeps } from './orders';
import { createContactSyncActivities } from './contact-sync';
import { createItemActivities } from './items';
import { createExportActivities, type ExportActivityDeps } from './exports';
import { createXeroChangesActivities } from './xero-changes';

/**
 * What the activities need. `xero` is optional so a worker without Xero access (the smoke test)
 * still registers everything; order activities then fail loudly instead of silently.
 */
export type ActivityDeps = DiagnosticsDeps &
  Partial<Omit<OrderActivityDeps, 'db'>> &
  Pick<ExportActivityDeps, 'temporalClient'>;

/** All activities the worker registers, built from their dependencies (as in Temporal's samples). */
export function createActivities(deps: ActivityDeps) {
  const xero = deps.xero ?? unconfiguredXero();
  return {
    ...createDiagnosticsActivities(deps),
    ...createOrderActivities({ ...deps, xero }),
    ...createContactSyncActivities({ db: deps.db, xero }),
    ...createItemActivities({ db: deps.db, xero }),
    ...createExportActivities({ db: deps.db, ...(deps.temporalClient ? { temporalClient: deps.temporalClient } : {}) }),
    ...createXeroChangesActivities({
      db: deps.db,
      xero,
      ...(deps.temporalClient ? { temporalClient: deps.temporalClient } : {}),
    }),
  };
}

function unconfiguredXero(): OrderActivityDeps['xero'] {
  return {
    forAccount() {
      throw new Error('this worker was started without Xero access (ActivityDeps.xero)');
    },
    call() {
      throw new Error('this worker was started without Xero access (ActivityDeps.xero)');
    },
  } as unknown as OrderActivityDeps['xero'];
}

export type Activities = ReturnType<typeof createActivities>;

// The worker's workflow bundle entry point: every workflow type is exported from here.
export { diagnosticsWorkflow } from './diagnostics';
export { orderSyncWorkflow } from './order-sync';
export { contactSyncWorkflow } from './contact-sync';
export { itemPushWorkflow } from './item-push';
export { exportWorkflow } from './export';
export { xeroChangesWorkflow } from './xero-changes';
export { reconciliationWorkflow } from './reconciliation';

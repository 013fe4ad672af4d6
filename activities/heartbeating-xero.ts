import { heartbeat } from '@temporalio/activity';
import type { XeroDeps } from '../src/contact-sync/xero-contacts';

/** Every Xero call beats the heart first, so a killed worker's batch moves on within the heartbeat timeout. */
export function heartbeatingXero(xero: XeroDeps): XeroDeps {
  return {
    call: (accountId, run) => {
      heartbeat();
      return xero.call(accountId, run);
    },
  };
}

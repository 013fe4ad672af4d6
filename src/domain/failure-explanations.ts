import type { Settings } from './settings';

/**
 * Turns what went wrong (Xero's own words, or the engine's) into a sentence an admin can act on,
 * naming the setting involved. Pure: the failures page and the host's `sync.failed` event use it.
 */

export interface FailureFacts {
  /** Xero's validation messages, or the engine's own message. */
  messages: string[];
  /** Engine classification: validation, not_connected, needs_reconnect, missing_setup, … */
  errorKind?: string;
  /** For `invalid_data`: the database's SQLSTATE, which tells bad input from an engine fault. */
  sqlstate?: string;
}

export interface Explanation {
  /** What is wrong, in plain words. */
  problem: string;
  /** What to do about it. */
  action: string;
}

type Rule = (message: string, settings: Settings) => Explanation | undefined;

function accountRole(code: string, s: Settings): string {
  if (code === s.revenueAccountCode) return 'Revenue account';
  if (code === s.expenseAccountCode) return 'Expense account';
  if (code === s.bankAccountCode) return 'Bank account';
  return 'Account';
}

const rules: Rule[] = [
  (m, s) => {
    const match = /account code '([^']+)'[^.]*(archived|deleted)/i.exec(m);
    if (!match) return undefined;
    const role = accountRole(match[1]!, s);
    return {
      problem: `${role} ${match[1]} is archived in Xero`,
      action:
        role === 'Account'
          ? 'Restore it in Xero, or change the code on the order line'
          : `Choose another ${role.toLowerCase()} in Setup`,
    };
  },
  (m, s) => {
    const match = /account code '([^']+)'/i.exec(m);
    if (!match) return undefined;
    const role = accountRole(match[1]!, s);
    return {
      problem: `${role} ${match[1]} does not exist in Xero or cannot be used here`,
      action:
        role === 'Account'
          ? 'Check the account code on the order line'
          : `Choose another ${role.toLowerCase()} in Setup`,
    };
  },
  (m, s) => {
    const match = /tax ?type(?: code)? '([^']+)'/i.exec(m);
    if (!match) return undefined;
    const isDefault = match[1] === s.defaultTaxType;
    return {
      problem: `Tax rate ${match[1]} does not exist in Xero or cannot be used on this document`,
      action: isDefault
        ? 'Choose another default tax rate in Setup'
        : 'Fix the tax code on the order line, or choose another default tax rate in Setup',
    };
  },
  (m) => {
    const option = /option '([^']+)'/i.exec(m)?.[1];
    const category = /category '([^']+)'/i.exec(m)?.[1];
    if (!option || !/tracking/i.test(m)) return undefined;
    if (/option '[^']+'[^;]*is archived/i.test(m))
      return {
        problem: `Tracking option '${option}'${category ? ` of category '${category}'` : ''} is archived in Xero`,
        action: 'Restore the option in Xero, or map the cost centre to an active option in Setup',
      };
    return {
      problem: `Tracking option '${option}' does not exist${category ? ` in category '${category}'` : ''}`,
      action: 'Add the option in Xero, or map the cost centre to an existing option in Setup',
    };
  },
  (m) => {
    const category = /tracking category '([^']+)' does not exist/i.exec(m)?.[1];
    return category
      ? {
          problem: `Tracking category '${category}' does not exist or is archived in Xero`,
          action: 'Restore it in Xero, or choose another tracking category in Setup',
        }
      : undefined;
  },
  (m) => {
    const code = /item code '([^']+)' is not valid/i.exec(m)?.[1];
    return code
      ? {
          problem: `Item ${code} does not exist in Xero`,
          action: 'Add the item in Xero, or fix the item code on the order line, then retry',
        }
      : undefined;
  },
  (m) => {
    const name = /the contact (.+?) has been archived/i.exec(m)?.[1];
    return name
      ? { problem: `The Xero contact '${name}' is archived`, action: 'Restore the contact in Xero, then retry' }
      : undefined;
  },
  (m) => {
    const currency = /not subscribed to currency (\w+)/i.exec(m)?.[1];
    return currency
      ? {
          problem: `The Xero organisation does not use currency ${currency}`,
          action: `Add ${currency} in Xero's currency settings, or send the order in the organisation's currency`,
        }
      : undefined;
  },
  (m) =>
    /must be unique/i.test(m) && /invoice/i.test(m)
      ? {
          problem: 'Xero already has an invoice with this number that was not created by this sync',
          action: 'Rename or delete that invoice in Xero, or set an invoice number prefix in Setup, then retry',
        }
      : undefined,
  (m) =>
    /lock ?date|locked period|period lock|end of year lock/i.test(m)
      ? {
          problem: 'The document is dated inside a period that is locked in Xero',
          action:
            "Ask your accountant to move the lock date in Xero, change the document date, or choose 'Date it on the first open day' in Setup, then retry",
        }
      : undefined,
  (m) =>
    // Xero's smallest plans cap approvals per month (xero-facts.md, Organisation).
    /limit of (invoices|bills|documents)[^.]*approve/i.test(m)
      ? {
          problem: "Your Xero plan's monthly limit of approved invoices or bills is used up",
          action:
            'Upgrade the Xero plan, or set the status on creation to Draft in Setup (drafts are not capped) and approve them in Xero later, then retry',
        }
      : undefined,
  (m) =>
    /only be made against authorised/i.test(m)
      ? {
          problem: 'The invoice is not approved (authorised) in Xero, so it cannot take payments',
          action: "Approve it in Xero, or set 'Invoice status on creation' to Authorised in Setup, then retry",
        }
      : undefined,
  (m) =>
    /exceeds the amount outstanding/i.test(m)
      ? {
          problem: 'The payment is more than what is still owed on the invoice in Xero',
          action: 'Check for payments or credit notes entered directly in Xero',
        }
      : undefined,
  (m) =>
    /payment or credit note allocated/i.test(m)
      ? {
          problem: 'The invoice has payments in Xero, so its lines cannot be changed',
          action: 'Remove the payments in Xero or turn off "Sync edits of exported invoices", then retry',
        }
      : undefined,
  (m) => {
    const name = /contact name '?([^']+?)'? (already|is already)/i.exec(m)?.[1];
    return name
      ? {
          problem: `Another Xero contact is already called '${name}'`,
          action: 'Rename or archive one of them in Xero, then retry',
        }
      : undefined;
  },
];

const byKind: Record<string, (f: FailureFacts) => Explanation> = {
  not_connected: () => ({ problem: 'This account is not connected to Xero', action: 'Connect to Xero, then retry' }),
  needs_reconnect: () => ({
    problem: 'The Xero connection has expired or was revoked',
    action: 'Reconnect to Xero, then retry',
  }),
  missing_setup: (f) => ({
    problem: `Setup is incomplete${f.messages.length ? `: ${f.messages.join(', ')}` : ''}`,
    action: 'Complete Setup, then retry',
  }),
  number_taken: (f) => ({
    problem: f.messages[0]?.split(':')[0] ?? 'The invoice number is already used in Xero by another invoice',
    action:
      "Change the order number (or Setup's invoice prefix), or void or delete the other invoice in Xero, then retry",
  }),
  total_mismatch: (f) => {
    const m = f.messages[0] ?? "the host's total differs from the total Xero will compute";
    const clause = m.split(/, so nothing|, more than|; a rounding/)[0]!;
    return {
      problem: `${clause.charAt(0).toUpperCase()}${clause.slice(1)}`,
      action: /tax total/.test(m)
        ? 'Correct the tax on the document in your app (Xero rounds tax on each line), then retry'
        : /more than the/.test(m)
          ? 'Correct the document in your app, or raise the rounding tolerance in Setup, then retry'
          : /0% in Xero/.test(m)
            ? 'Add or restore a tax rate of 0% in Xero for the rounding line, then retry'
            : "Correct the document in your app, or choose 'Add a rounding line' in Setup, then retry",
    };
  },
  pdf_unavailable: (f) => ({
    problem: f.messages[0] ?? 'The order PDF could not be fetched',
    action: 'Serve the PDF from a public http(s) URL, or leave pdfUrl out to have one rendered, then retry',
  }),
  invalid_data: (f) => {
    const cls = f.sqlstate?.slice(0, 2);
    const problem = f.messages[0] ?? 'The database refused to store the data sent for this document';
    if (cls === '42')
      return {
        problem,
        action:
          'This is a fault in the sync engine, not in your data: tell the people who run it (its database may need updating), then retry',
      };
    if (cls === '23')
      return {
        problem,
        action:
          'Check the document in your app for a duplicate or missing value and send it again; if it still fails, tell the people who run the sync engine',
      };
    return {
      problem,
      action:
        'Correct the value in your app (remove invisible characters, often pasted from another program) and send the document again; if it still fails, correct the same value in Xero, then retry',
    };
  },
};

export function explainFailure(facts: FailureFacts, settings: Settings): Explanation {
  const special = facts.errorKind ? byKind[facts.errorKind] : undefined;
  if (special) return special(facts);
  for (const message of facts.messages) {
    for (const rule of rules) {
      const explanation = rule(message, settings);
      if (explanation) return explanation;
    }
  }
  const said = facts.messages.join('; ') || 'Xero refused the document without saying why';
  return { problem: `Xero said: ${said}`, action: 'Correct the document or Setup, then retry' };
}

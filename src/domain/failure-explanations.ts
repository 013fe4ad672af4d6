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
  /** The workflow step that failed: `invoice`, `revise`, `pay:…`, `attach`, `contact`, `cancel`, … */
  step?: string;
  /**
   * The document's Xero side as the engine last knew it, so a "not found" answer can name it:
   * `word` is "invoice", "bill" or "credit note".
   */
  document?: { word: string; number?: string; id?: string };
}

export interface Explanation {
  /** What is wrong, in plain words. */
  problem: string;
  /** What to do about it. */
  action: string;
}

type Rule = (message: string, settings: Settings, facts: FailureFacts) => Explanation | undefined;

function accountRole(code: string, s: Settings): string {
  if (code === s.revenueAccountCode) return 'Revenue account';
  if (code === s.expenseAccountCode) return 'Expense account';
  if (code === s.bankAccountCode) return 'Bank account';
  return 'Account';
}

/** Whether Xero's reference (an id or a number) is this document's own. */
function isOwnDocument(facts: FailureFacts, ref: string | undefined): boolean {
  const doc = facts.document;
  if (!doc) return false;
  return !ref || ref.toLowerCase() === doc.id?.toLowerCase() || ref === doc.number;
}

/** "The invoice INV-1", "The bill 4f1c…": the document Xero no longer has, named as well as known. */
function documentNamed(facts: FailureFacts, word: string, ref: string | undefined): string {
  const doc = facts.document;
  if (doc && isOwnDocument(facts, ref)) return `The ${doc.word} ${doc.number || doc.id || ''}`.trimEnd();
  return `The ${word}${ref ? ` ${ref}` : ''}`;
}

const GONE_FROM_XERO = 'no longer exists in Xero (deleted there, or Xero was reset)';
const DOCUMENT_GONE_ACTION =
  'The sync does not re-create it by itself, since that could bill the customer twice: cancel the document in your app (nothing is left to void) and send it again under a new number; if it should still exist, check that this account is connected to the right Xero organisation';

/** Xero's "not found" answers: a linked record (contact, document, account, item) that is no longer there. */
const notFoundRules: Rule[] = [
  (m) => {
    const id = /contact with the ContactID (\S+?) could not be found/i.exec(m)?.[1];
    return id
      ? {
          problem: `The Xero contact ${id} ${GONE_FROM_XERO}`,
          action:
            'Retry: the sync finds the customer again (by its number, then its name) or creates it. If your app chose this Xero contact for the document, choose another one and send the document again',
        }
      : undefined;
  },
  (m) => {
    const id = /the Xero contact (\S+) does not exist or is archived/i.exec(m)?.[1];
    return id
      ? {
          problem: `The Xero contact ${id} chosen for the document does not exist or is archived (deleted or merged in Xero?)`,
          action:
            'Choose another contact for the document in your app and send it again, or restore the contact in Xero, then retry',
        }
      : undefined;
  },
  (m) => {
    const number = /contact with the ContactNumber (.+?) could not be found/i.exec(m)?.[1];
    return number
      ? {
          problem: `No Xero contact has the contact number ${number}`,
          action:
            "Add the contact number to the contact in Xero, or send the customer's details with the document, then retry",
        }
      : undefined;
  },
  (m, _s, f) => {
    const match = /^(invoice|credit note)(?: with ID)? (\S+?) could not be found/i.exec(m.trim());
    if (!match) return undefined;
    const word = match[1]!.toLowerCase();
    return {
      problem: `${documentNamed(f, word, match[2])} ${GONE_FROM_XERO}`,
      action: isOwnDocument(f, match[2])
        ? DOCUMENT_GONE_ACTION
        : `Check the ${word} in Xero (deleted or voided?) and what the document refers to in your app, then retry`,
    };
  },
  (m, s) => {
    const code = /^Account (\S+) could not be found/i.exec(m.trim())?.[1];
    if (!code) return undefined;
    const role = accountRole(code, s);
    return {
      problem: `${role} ${code} does not exist in Xero`,
      action:
        role === 'Account' ? 'Check the account code in your app' : `Choose another ${role.toLowerCase()} in Setup`,
    };
  },
  (m) => {
    const id = /Item with ItemID '?([^' ]+)'? could not be found/i.exec(m)?.[1];
    return id
      ? {
          problem: `The Xero item ${id} ${GONE_FROM_XERO}`,
          action:
            'Push the items again from your app (they are created anew), or fix the item code on the order line, then retry',
        }
      : undefined;
  },
  (m, _s, f) => {
    // A 404: Xero answers a read or update of a record it does not have with this sentence alone.
    if (!/resource you.re looking for cannot be found|^not found in xero$/i.test(m.trim())) return undefined;
    const step = f.step ?? '';
    if (step === 'contact')
      return {
        problem: `The Xero contact chosen for the document ${GONE_FROM_XERO}`,
        action: 'Choose another contact for the document in your app and send it again',
      };
    if (/^(un)?pay/.test(step) && !f.document)
      return {
        problem: `The payment's invoice or the payment itself ${GONE_FROM_XERO}`,
        action: DOCUMENT_GONE_ACTION,
      };
    return {
      problem: `${documentNamed(f, 'document', undefined)} ${GONE_FROM_XERO}`,
      action: DOCUMENT_GONE_ACTION,
    };
  },
];

const rules: Rule[] = [
  ...notFoundRules,
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

/**
 * The document side of issue 13 words its failures "<problem>. What to do: <action>"
 * (activities/orders/xero-drift.ts): the two halves are the explanation.
 */
const WHAT_TO_DO = '. What to do: ';
function splitWhatToDo(f: FailureFacts, problem: string, action: string): Explanation {
  const m = f.messages[0];
  const at = m?.indexOf(WHAT_TO_DO) ?? -1;
  if (!m || at < 0) return { problem: m ?? problem, action };
  const first = m.slice(0, at);
  return { problem: `${first.charAt(0).toUpperCase()}${first.slice(1)}`, action: m.slice(at + WHAT_TO_DO.length) };
}

const byKind: Record<string, (f: FailureFacts) => Explanation> = {
  changed_in_xero: (f) =>
    splitWhatToDo(
      f,
      'The document was changed in Xero since the sync last wrote it',
      "On the Reconciliation page choose Send our version again, Accept Xero's or Ignore, or let the host's version win in Setup",
    ),
  voided_in_xero: (f) =>
    splitWhatToDo(
      f,
      'The document was voided or deleted in Xero',
      "Cancel it in your app, or choose 'Create it again' in Setup (or Send our version again on the Reconciliation page), then retry",
    ),
  paid_in_xero: (f) =>
    splitWhatToDo(
      f,
      'A payment recorded in Xero already pays this document',
      'Remove the payment in your app (it is already in Xero), or delete the payment in Xero, then retry',
    ),
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

const GENERIC_ACTION = 'Correct the document or Setup, then retry';

/**
 * Every problem of a failure with its own explanation, in Xero's order, each problem once: a
 * document refused for an archived account and a bad tax code gets two. Messages no rule knows are
 * kept in Xero's words, together, last.
 */
export function explainFailures(facts: FailureFacts, settings: Settings): Explanation[] {
  const special = facts.errorKind ? byKind[facts.errorKind] : undefined;
  if (special) return [special(facts)];
  const out: Explanation[] = [];
  const seen = new Set<string>();
  const unexplained: string[] = [];
  for (const message of facts.messages) {
    let explanation: Explanation | undefined;
    for (const rule of rules) {
      explanation = rule(message, settings, facts);
      if (explanation) break;
    }
    if (!explanation) {
      if (!unexplained.includes(message)) unexplained.push(message);
      continue;
    }
    const key = `${explanation.problem}\u0000${explanation.action}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(explanation);
  }
  if (unexplained.length > 0 || out.length === 0) {
    const said = unexplained.join('; ') || 'Xero refused the document without saying why';
    out.push({ problem: `Xero said: ${said}`, action: GENERIC_ACTION });
  }
  return out;
}

/** The failure's first (main) problem: what the host's `sync.failed` event carries as `explanation`. */
export function explainFailure(facts: FailureFacts, settings: Settings): Explanation {
  return explainFailures(facts, settings)[0]!;
}

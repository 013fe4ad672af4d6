import { z } from 'zod';

/**
 * Text rules for what hosts send, shared by the schemas of orders, contacts, settings and accounts.
 *
 * PostgreSQL cannot store U+0000 in `text` or `jsonb`, and neither it nor Xero can store an unpaired
 * UTF-16 surrogate (it is not valid Unicode): a value holding one is accepted by JSON.parse and then
 * fails every write downstream, forever. Control characters in an identifier or a document number
 * are invisible in Xero and in the admin pages, break look-ups by that value, and are never meant.
 *
 * Lengths: Xero runs on .NET, whose string lengths count UTF-16 code units — what JS `.length`
 * counts ("😀" is 2). zod's own `.max` counts code points ("😀" is 1) and would let a string through
 * that Xero then refuses, so `max` here is checked on `.length` instead.
 *
 * Each helper returns a plain `ZodString`, so callers may still chain `.min`, `.regex`, `.optional()`.
 */

export const NUL_MESSAGE = 'must not contain the NUL character';
export const SURROGATE_MESSAGE = 'must not contain an unpaired surrogate (invalid UTF-16)';
export const CONTROL_MESSAGE = 'must not contain control characters (such as tabs or line breaks)';
export const FREE_TEXT_CONTROL_MESSAGE = 'must not contain control characters other than tabs and line breaks';

// With the `u` flag a character class of surrogates matches only unpaired ones: a pair is one code point.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// C0 controls, DEL and C1 controls (Unicode category Cc).
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// C0 controls except tab, line feed and carriage return: what XML 1.0 (and so Xero's own storage) refuses.
// eslint-disable-next-line no-control-regex
const C0_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** Why PostgreSQL or Xero cannot store this text at all (NUL, an unpaired surrogate), or undefined. */
export function unstorableTextProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(value)) return SURROGATE_MESSAGE;
  return undefined;
}

/** What is wrong with a value meant as an identifier or a document number (one line, no controls), or undefined. */
export function identifierProblem(value: string): string | undefined {
  return unstorableTextProblem(value) ?? (ANY_CONTROL.test(value) ? CONTROL_MESSAGE : undefined);
}

/** What is wrong with a value meant as free text (descriptions, notes: tabs and line breaks allowed), or undefined. */
export function freeTextProblem(value: string): string | undefined {
  return unstorableTextProblem(value) ?? (C0_EXCEPT_WHITESPACE.test(value) ? FREE_TEXT_CONTROL_MESSAGE : undefined);
}

function checked(schema: z.ZodString, problem: (value: string) => string | undefined): z.ZodString {
  return schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });
}

/**
 * At most `max` UTF-16 code units, the way Xero (.NET) counts; use instead of zod's `.max`, which
 * counts code points.
 */
export function maxUtf16(schema: z.ZodString, max: number): z.ZodString {
  return checked(schema, (value) => (value.length > max ? `at most ${max} characters` : undefined));
}

/** Adds the identifier rule (no control characters, NUL or unpaired surrogate) to a string schema of your own. */
export function oneLine(schema: z.ZodString): z.ZodString {
  return checked(schema, identifierProblem);
}

/** Adds the free-text rule (tabs and line breaks allowed; other C0 controls, NUL, unpaired surrogates not). */
export function multiLine(schema: z.ZodString): z.ZodString {
  return checked(schema, freeTextProblem);
}

export interface IdentifierOptions {
  /** The message for an empty value (default "must not be empty"), e.g. "required" or "choose one". */
  empty?: string;
}

/**
 * An id or a name that must be one exact line: trimmed, non-empty, at most `max` UTF-16 code units,
 * no C0/C1 control characters or DEL, no NUL or unpaired surrogate.
 */
export function identifier(max: number, opts: IdentifierOptions = {}): z.ZodString {
  return oneLine(
    maxUtf16(
      z
        .string()
        .trim()
        .min(1, opts.empty ?? 'must not be empty'),
      max,
    ),
  );
}

/**
 * A document number (an invoice or order number): like `identifier`, and deliberately nothing more —
 * any printable character Xero accepts is allowed, `, / " ' \ ? # %`, spaces inside and any script
 * included. Whoever puts it in a URL, a query or a look-up must encode it, not the host avoid it.
 */
export function documentNumber(max: number, opts: IdentifierOptions = {}): z.ZodString {
  return identifier(max, opts);
}

/**
 * Free text (descriptions, references, address lines): trimmed, may be empty (chain `.min(1, …)` when
 * required), at most `max` UTF-16 code units; tabs and line breaks allowed, other C0 controls, NUL and
 * unpaired surrogates refused.
 */
export function freeText(max: number): z.ZodString {
  return multiLine(maxUtf16(z.string().trim(), max));
}

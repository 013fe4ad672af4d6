import type { Response } from 'express';
import type { z } from 'zod';

/** API errors are JSON `{error, message, fields?}`: `error` a stable code, `fields` the reason per field. */

export function sendApiError(
  res: Response,
  status: number,
  error: string,
  message: string,
  fields?: Record<string, string>,
): void {
  res.status(status).json(fields && Object.keys(fields).length > 0 ? { error, message, fields } : { error, message });
}

/** zod's issues as one plain-English reason per field path (`a.b.0`), the first issue per field winning. */
export function friendlyFieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || '(body)';
    fields[key] ??= friendlyMessage(issue);
  }
  return fields;
}

function friendlyMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected === 'number' ? 'a number' : issue.expected === 'boolean' ? 'true or false' : issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `choose one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'number') return `must be at least ${String(issue.minimum)}`;
      if (issue.origin === 'array')
        return issue.message.startsWith('Too small') ? `choose at least ${String(issue.minimum)}` : issue.message;
      return issue.message.startsWith('Too small')
        ? Number(issue.minimum) <= 1
          ? 'required'
          : `at least ${String(issue.minimum)} characters`
        : issue.message;
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
      return issue.message.startsWith('Too big') ? `at most ${String(issue.maximum)} characters` : issue.message;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

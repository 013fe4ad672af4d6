import { type ApiContext, summarizeErrors } from './api-context';
import { envelope, type SimResponse, validationException } from './answers';

/**
 * Xero's batch answer. Every element is processed in order and committed on its own. With
 * `summarizeErrors=false` the answer is 200 and each element says OK / WARNING / ERROR. Without it
 * (Xero's default) one bad element turns the answer into a 400 listing only the bad elements —
 * while the good ones stay created and are not reported: the trap a blind retry falls into.
 */

export type ElementOutcome =
  { ok: Record<string, unknown>; warnings?: string[] } | { errors: string[]; echo: Record<string, unknown> };

export function batchAnswer(
  ctx: ApiContext,
  key: string,
  /** Items carry no such flag in Xero's answers (only StatusAttributeString and ValidationErrors): null. */
  hasErrorsField: 'HasErrors' | 'HasValidationErrors' | null,
  outcomes: ElementOutcome[],
): SimResponse {
  const failed = outcomes.filter((o): o is Extract<ElementOutcome, { errors: string[] }> => 'errors' in o);
  if (summarizeErrors(ctx)) {
    if (failed.length > 0) {
      return validationException(
        failed.map((f) => ({ ...f.echo, ValidationErrors: f.errors.map((Message) => ({ Message })) })),
      );
    }
  }
  const flag = (value: boolean) => (hasErrorsField ? { [hasErrorsField]: value } : {});
  const elements = outcomes.map((o) => {
    if ('errors' in o) {
      return {
        ...o.echo,
        ...flag(true),
        StatusAttributeString: 'ERROR',
        ValidationErrors: o.errors.map((Message) => ({ Message })),
      };
    }
    if (o.warnings && o.warnings.length > 0) {
      return {
        ...o.ok,
        ...flag(false),
        StatusAttributeString: 'WARNING',
        Warnings: o.warnings.map((Message) => ({ Message })),
      };
    }
    return { ...o.ok, ...flag(false), StatusAttributeString: 'OK' };
  });
  return envelope(ctx.app.name, ctx.now, key, elements);
}

/** A write whose body had no element to process. */
export function emptyBatch(ctx: ApiContext, key: string): SimResponse {
  return envelope(ctx.app.name, ctx.now, key, []);
}

import type { IncomingHttpHeaders } from 'node:http';
import type { SimApp } from './options';
import type { OrgRec, Store } from './store';

export type EventCategory = 'INVOICE' | 'CONTACT' | 'CREDITNOTE';

/** What one accounting call sees: the organisation it acts on, who calls, and the request. */
export interface ApiContext {
  store: Store;
  org: OrgRec;
  app: SimApp;
  clientId: string;
  method: string;
  /** Path below /api.xro/2.0, e.g. `/Invoices/INV-0001`. */
  path: string;
  /** Decoded path segments below /api.xro/2.0. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  rawBody: Buffer;
  now: number;
  /** Raises a webhook event (delivered only if a webhook is configured). */
  emit(category: EventCategory, type: 'CREATE' | 'UPDATE', resourceId: string): void;
}

/** `unitdp=4` lets unit amounts keep four decimals; everything else is 2 dp. */
export function unitDp(ctx: ApiContext): 2 | 4 {
  return ctx.query.get('unitdp') === '4' ? 4 : 2;
}

/** Xero's default is to summarize errors (one bad element fails the answer); only `false` turns it off. */
export function summarizeErrors(ctx: ApiContext): boolean {
  return ctx.query.get('summarizeErrors')?.toLowerCase() !== 'false';
}

export function queryFlag(ctx: ApiContext, name: string): boolean {
  const key = [...ctx.query.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
  return key !== undefined && ctx.query.get(key)?.toLowerCase() === 'true';
}

export function queryValue(ctx: ApiContext, name: string): string | undefined {
  const key = [...ctx.query.keys()].find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (ctx.query.get(key) ?? undefined);
}

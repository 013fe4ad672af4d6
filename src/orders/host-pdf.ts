import { ApplicationFailure } from '@temporalio/common';
import { businessFailure } from './failures';

/** Xero takes attachments up to 10 MB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface HostPdf {
  bytes: Buffer;
  contentType: string;
}

/**
 * Fetches the order PDF the host serves. A 4xx or something that is not a PDF is the host's to fix
 * (a business failure naming the URL); 5xx and network trouble are retried.
 */
export async function fetchHostPdf(url: string, timeoutMs = 20_000): Promise<HostPdf> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'HostPdfUnavailable',
      message: `the order PDF at ${url} could not be fetched: ${(err as Error).message}`,
    });
  }
  if (res.status >= 500 || res.status === 429) {
    throw ApplicationFailure.create({
      type: 'HostPdfUnavailable',
      message: `the order PDF at ${url} answered ${res.status}`,
    });
  }
  if (!res.ok) throw businessFailure('pdf_unavailable', `the order PDF at ${url} answered ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_ATTACHMENT_BYTES)
    throw businessFailure('pdf_unavailable', `the order PDF at ${url} is larger than Xero's 10 MB limit`);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_ATTACHMENT_BYTES)
    throw businessFailure('pdf_unavailable', `the order PDF at ${url} is larger than Xero's 10 MB limit`);
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-')
    throw businessFailure('pdf_unavailable', `the document at ${url} is not a PDF`);
  return { bytes, contentType: 'application/pdf' };
}

import { ApplicationFailure } from '@temporalio/common';
import { OutboundRefusedError, OutboundTooLargeError, outboundHttp, type OutboundHttp } from '../net/outbound-http';
import { businessFailure } from './failures';

/** Xero takes attachments up to 10 MB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export interface HostPdf {
  bytes: Buffer;
  contentType: string;
}

export interface HostPdfOptions {
  /** Fetch from loopback and private addresses too (OUTBOUND_ALLOW_PRIVATE_NETWORKS); default: refused. */
  allowPrivateNetworks?: boolean;
  /** Another client (tests: a custom policy). */
  http?: OutboundHttp;
  timeoutMs?: number;
  maxBytes?: number;
}

const PRIVATE_HINT =
  'the worker fetches order PDFs only from public addresses: serve the PDF from a public URL (OUTBOUND_ALLOW_PRIVATE_NETWORKS=true lets a worker reach private networks)';

function refusedMessage(url: string, err: OutboundRefusedError): string {
  const redirected = err.url && err.url !== new URL(url).href ? ` redirected to ${err.url}, which` : '';
  switch (err.reason) {
    case 'private_address':
      return `the order PDF URL ${url}${redirected} points at a private address (${err.address ?? 'unknown'}${err.range ? `, ${err.range}` : ''}); ${PRIVATE_HINT}`;
    case 'redirects':
      return `the order PDF URL ${url} redirects too many times (${err.message})`;
    default:
      return `the order PDF URL ${url}${redirected} cannot be fetched: ${err.message}`;
  }
}

/**
 * Fetches the order PDF the host serves. A refused destination (private address, other scheme,
 * redirect loop), a 4xx, something too large or not a PDF is the host's to fix: a business failure
 * naming the URL. 5xx, timeouts and network trouble are retried.
 */
export async function fetchHostPdf(url: string, opts: HostPdfOptions = {}): Promise<HostPdf> {
  const http = opts.http ?? outboundHttp({ allowPrivateNetworks: opts.allowPrivateNetworks === true });
  const maxBytes = opts.maxBytes ?? MAX_ATTACHMENT_BYTES;
  let res;
  try {
    res = await http.request(url, { timeoutMs: opts.timeoutMs ?? 20_000, maxBytes });
  } catch (err) {
    if (err instanceof OutboundRefusedError) throw businessFailure('pdf_unavailable', refusedMessage(url, err));
    if (err instanceof OutboundTooLargeError)
      throw businessFailure(
        'pdf_unavailable',
        maxBytes === MAX_ATTACHMENT_BYTES
          ? `the order PDF at ${url} is larger than Xero's 10 MB limit`
          : `the order PDF at ${url} is larger than ${maxBytes} bytes`,
      );
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
  if (res.status < 200 || res.status >= 300)
    throw businessFailure('pdf_unavailable', `the order PDF at ${url} answered ${res.status}`);
  if (res.body.subarray(0, 5).toString('latin1') !== '%PDF-')
    throw businessFailure('pdf_unavailable', `the document at ${url} is not a PDF`);
  return { bytes: res.body, contentType: 'application/pdf' };
}

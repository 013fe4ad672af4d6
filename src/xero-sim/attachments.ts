import { type ApiContext, queryFlag } from './api-context';
import { envelope, notFound, type SimResponse, validationException } from './answers';
import { isUuid, newId } from './ids';
import type { AttachmentRec, OrgRec } from './store';

/**
 * Attachments on invoices and credit notes, addressed by file name: uploading a name that exists
 * replaces it; at most 10 per document and 10 MB per file. `IncludeOnline` only counts on sales
 * documents (Xero shows those on the online invoice).
 */

export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export type AttachmentOwnerPath = 'Invoices' | 'CreditNotes';

interface Owner {
  id: string;
  attachments: AttachmentRec[];
  isSales: boolean;
  touch(now: number): void;
}

function ownerOf(org: OrgRec, kind: AttachmentOwnerPath, key: string): Owner | undefined {
  if (kind === 'Invoices') {
    const inv = [...org.invoices.values()].find(
      (i) =>
        i.InvoiceID.toLowerCase() === key.toLowerCase() ||
        (!isUuid(key) && i.InvoiceNumber.toLowerCase() === key.toLowerCase()),
    );
    if (!inv) return undefined;
    return {
      id: inv.InvoiceID,
      attachments: inv.attachments,
      isSales: inv.Type === 'ACCREC',
      touch: (now) => (inv.UpdatedDateUTC = now),
    };
  }
  const cn = [...org.creditNotes.values()].find(
    (c) =>
      c.CreditNoteID.toLowerCase() === key.toLowerCase() ||
      (!isUuid(key) && c.CreditNoteNumber.toLowerCase() === key.toLowerCase()),
  );
  if (!cn) return undefined;
  return {
    id: cn.CreditNoteID,
    attachments: cn.attachments,
    isSales: cn.Type === 'ACCRECCREDIT',
    touch: (now) => (cn.UpdatedDateUTC = now),
  };
}

export function renderAttachment(
  org: OrgRec,
  kind: AttachmentOwnerPath,
  ownerId: string,
  a: AttachmentRec,
  baseUrl = '',
): Record<string, unknown> {
  void org;
  return {
    AttachmentID: a.AttachmentID,
    FileName: a.FileName,
    Url: `${baseUrl}/api.xro/2.0/${kind}/${ownerId}/Attachments/${encodeURIComponent(a.FileName)}`,
    MimeType: a.MimeType,
    ContentLength: a.bytes.length,
    IncludeOnline: a.IncludeOnline || undefined,
  };
}

export function uploadAttachment(
  ctx: ApiContext,
  kind: AttachmentOwnerPath,
  key: string,
  fileName: string,
): SimResponse {
  const owner = ownerOf(ctx.org, kind, key);
  if (!owner) return notFound();
  if (ctx.rawBody.length > MAX_ATTACHMENT_BYTES) {
    return {
      status: 413,
      raw: 'The attachment exceeds the maximum size of 10 MB.',
      contentType: 'text/plain; charset=utf-8',
    };
  }
  const element = { [kind === 'Invoices' ? 'InvoiceID' : 'CreditNoteID']: owner.id };
  if (fileName.trim() === '')
    return validationException([{ ...element, ValidationErrors: [{ Message: 'A file name must be specified.' }] }]);
  if (ctx.rawBody.length === 0)
    return validationException([{ ...element, ValidationErrors: [{ Message: 'The attachment has no content.' }] }]);
  const existing = owner.attachments.findIndex((a) => a.FileName === fileName);
  if (existing === -1 && owner.attachments.length >= MAX_ATTACHMENTS) {
    return validationException([
      { ...element, ValidationErrors: [{ Message: `A document can have at most ${MAX_ATTACHMENTS} attachments.` }] },
    ]);
  }
  const rec: AttachmentRec = {
    AttachmentID: newId(),
    FileName: fileName,
    MimeType:
      String(ctx.headers['content-type'] ?? 'application/octet-stream')
        .split(';')[0]!
        .trim() || 'application/octet-stream',
    IncludeOnline: owner.isSales && queryFlag(ctx, 'IncludeOnline'),
    bytes: Buffer.from(ctx.rawBody),
  };
  if (existing === -1) owner.attachments.push(rec);
  else owner.attachments[existing] = rec;
  owner.touch(ctx.now);
  return envelope(ctx.app.name, ctx.now, 'Attachments', [
    renderAttachment(ctx.org, kind, owner.id, rec, ctx.store.baseUrl),
  ]);
}

export function listAttachments(ctx: ApiContext, kind: AttachmentOwnerPath, key: string): SimResponse {
  const owner = ownerOf(ctx.org, kind, key);
  if (!owner) return notFound();
  return envelope(
    ctx.app.name,
    ctx.now,
    'Attachments',
    owner.attachments.map((a) => renderAttachment(ctx.org, kind, owner.id, a, ctx.store.baseUrl)),
  );
}

/** The bytes, by file name or AttachmentID, with the stored content type. */
export function getAttachmentContent(
  ctx: ApiContext,
  kind: AttachmentOwnerPath,
  key: string,
  nameOrId: string,
): SimResponse {
  const owner = ownerOf(ctx.org, kind, key);
  if (!owner) return notFound();
  const a =
    owner.attachments.find((x) => x.AttachmentID.toLowerCase() === nameOrId.toLowerCase()) ??
    owner.attachments.find((x) => x.FileName === nameOrId);
  if (!a) return notFound();
  return { status: 200, raw: a.bytes, contentType: a.MimeType };
}

/** For inspection from tests and the control API. */
export function attachmentsOf(org: OrgRec, documentId: string): AttachmentRec[] | undefined {
  return org.invoices.get(documentId)?.attachments ?? org.creditNotes.get(documentId)?.attachments;
}

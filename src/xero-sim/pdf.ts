import type { InvoiceRec, OrgRec } from './store';
import { dayString } from './xero-dates';

/**
 * A small but valid PDF standing in for Xero's rendering of an invoice (`Accept: application/pdf`).
 * Hand-built rather than through pdfkit: it must cost next to nothing per request.
 */
export function invoicePdf(org: OrgRec, inv: InvoiceRec): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
  const lines = [
    `${org.Name}`,
    `${inv.Type === 'ACCREC' ? 'TAX INVOICE' : 'BILL'} ${inv.InvoiceNumber}`,
    `Date ${dayString(inv.Date).slice(0, 10)}   Status ${inv.Status}`,
    ...inv.LineItems.map(
      (l) => `${l.Description ?? ''}  ${l.Quantity} x ${l.UnitAmount.toFixed(2)} = ${l.LineAmount.toFixed(2)}`,
    ),
    `Subtotal ${inv.totals.SubTotal.toFixed(2)}  Tax ${inv.totals.TotalTax.toFixed(2)}  Total ${inv.totals.Total.toFixed(2)} ${inv.CurrencyCode}`,
  ];
  const text = lines.map((l, i) => `BT /F1 11 Tf 50 ${780 - i * 16} Td (${esc(l)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

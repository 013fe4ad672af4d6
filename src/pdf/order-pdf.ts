import PDFDocument from 'pdfkit';
import { contactNameFor, orderLineTotals } from '../domain/invoice-mapping';
import type { Order } from '../domain/order';
import type { Settings } from '../domain/settings';

/**
 * The order document attached to the Xero invoice when the host gives no PDF of its own.
 *
 * The bytes are a pure function of the order: the creation date is the order's date and nothing
 * else varies, so a retried upload sends exactly the same body under the same Idempotency-Key
 * (Xero answers 400 to a reused key with a different body).
 */
export async function renderOrderPdf(
  order: Order,
  settings: Pick<Settings, 'lineAmountTypes'>,
  organisationName?: string,
): Promise<Buffer> {
  const created = new Date(`${order.date}T00:00:00Z`);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: true,
    info: {
      Title: `Order ${order.number}`,
      Creator: 'xero-sync',
      Producer: 'xero-sync',
      CreationDate: created,
      ModDate: created,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const money = (n: number) => `${order.currency} ${n.toFixed(2)}`;
  const qty = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(4))));

  doc.font('Helvetica-Bold').fontSize(20).text(`Order ${order.number}`);
  doc.font('Helvetica').fontSize(10).moveDown(0.3);
  if (organisationName) doc.text(organisationName);
  doc.text(`Date: ${order.date}`);
  if (order.dueDate) doc.text(`Due: ${order.dueDate}`);
  if (order.customerReference) doc.text(`Your reference: ${order.customerReference}`);
  doc.moveDown();

  const c = order.customer;
  doc.font('Helvetica-Bold').text('Customer');
  doc.font('Helvetica').text(contactNameFor(c, { personNameFormat: 'first_last' }));
  for (const a of c.addresses.slice(0, 1)) {
    const place = [a.city, a.region, a.postalCode].filter(Boolean).join(' ');
    for (const line of [...a.lines, place, a.country]) if (line) doc.text(line);
  }
  if (c.email) doc.text(c.email);
  doc.moveDown();

  if (order.jobDescription) doc.font('Helvetica-Bold').text('Job').font('Helvetica').text(order.jobDescription);
  if (order.jobLocation) doc.text(`Location: ${order.jobLocation}`);
  if (order.jobDescription || order.jobLocation) doc.moveDown();

  // The lines table: fixed columns so long descriptions wrap inside their own column.
  const cols = { desc: 50, qty: 330, price: 380, disc: 450, amount: 490 };
  const header = (y: number) => {
    doc.font('Helvetica-Bold');
    doc.text('Description', cols.desc, y, { width: 270 });
    doc.text('Qty', cols.qty, y, { width: 45, align: 'right' });
    doc.text('Unit price', cols.price, y, { width: 65, align: 'right' });
    doc.text('Disc %', cols.disc, y, { width: 35, align: 'right' });
    doc.text('Amount', cols.amount, y, { width: 55, align: 'right' });
    doc.font('Helvetica');
  };
  header(doc.y);
  doc.moveDown(0.5);
  const { lines, total } = orderLineTotals(order);
  for (const line of lines) {
    if (doc.y > 760) {
      doc.addPage();
      header(50);
      doc.moveDown(0.5);
    }
    const y = doc.y;
    doc.text(line.description, cols.desc, y, { width: 270 });
    const after = doc.y;
    doc.text(qty(line.quantity), cols.qty, y, { width: 45, align: 'right' });
    doc.text(line.unitPrice.toFixed(2), cols.price, y, { width: 65, align: 'right' });
    doc.text(line.discountRate ? String(line.discountRate) : '', cols.disc, y, { width: 35, align: 'right' });
    doc.text(line.amount.toFixed(2), cols.amount, y, { width: 55, align: 'right' });
    doc.y = Math.max(after, doc.y) + 4;
  }
  doc.moveDown();
  const label =
    settings.lineAmountTypes === 'Inclusive'
      ? 'Total (tax inclusive)'
      : settings.lineAmountTypes === 'NoTax'
        ? 'Total'
        : 'Total (excluding tax)';
  doc.font('Helvetica-Bold').text(`${label}: ${money(total)}`, cols.desc, doc.y, { width: 495, align: 'right' });
  doc.end();
  return done;
}

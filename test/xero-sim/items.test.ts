import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Invoice, type Item } from 'xero-node';
import { rawApi, rejection, startTestSim, validationMessages } from './helpers';

describe('items written by apps', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;
  let n = 0;
  const code = (prefix = 'IT') => `${prefix}-${++n}`;
  const create = async (items: Item[], unitdp?: number) =>
    (await api.createItems(tenantId, { items }, false, unitdp)).body.items!;

  it('PUT /Items creates items, derives IsSold / IsPurchased from the details, and GET reads them back', async () => {
    const c = code();
    const [item] = await create(
      [
        {
          code: c,
          name: 'Boiler service',
          description: 'Annual boiler service',
          salesDetails: { unitPrice: 185.1234, accountCode: '200', taxType: 'OUTPUT2' },
        },
      ],
      4,
    );
    assert.equal(item!.statusAttributeString, 'OK');
    assert.ok(item!.itemID);
    assert.equal(item!.isSold, true);
    assert.equal(item!.isPurchased, false);
    assert.equal(item!.salesDetails!.unitPrice, 185.1234);
    const read = (await api.getItem(tenantId, item!.itemID!, 4)).body.items![0]!;
    assert.deepEqual(
      [read.code, read.name, read.description, read.salesDetails!.accountCode, read.salesDetails!.taxType],
      [c, 'Boiler service', 'Annual boiler service', '200', 'OUTPUT2'],
    );
    const twoDp = (await api.getItem(tenantId, item!.itemID!)).body.items![0]!;
    assert.equal(twoDp.salesDetails!.unitPrice, 185.12, 'without unitdp=4 prices are rounded to 2 dp');
    const both = (
      await create([
        {
          code: code(),
          purchaseDescription: 'Bought in',
          purchaseDetails: { unitPrice: 3, accountCode: '310', taxType: 'INPUT2' },
          salesDetails: { unitPrice: 5, accountCode: '200' },
        },
      ])
    )[0]!;
    assert.deepEqual([both.isSold, both.isPurchased], [true, true]);
  });

  it('refuses a code that exists in any case, and the limits on code, name and description', async () => {
    const c = code('DUP');
    await create([{ code: c, name: 'First' }]);
    const err = await rejection(api.createItems(tenantId, { items: [{ code: c.toLowerCase(), name: 'Second' }] }));
    assert.deepEqual(validationMessages(err), [`Item code '${c.toLowerCase()}' already exists.`]);
    // One at a time through the 400 answer: an echo of an over-long value is not a valid Item in Xero's own model.
    const refused = async (item: Item) =>
      validationMessages(await rejection(api.createItems(tenantId, { items: [item] })));
    assert.match((await refused({ code: 'X'.repeat(31) }))[0]!, /Code must not be more than 30 characters/);
    assert.match(
      (await refused({ code: code(), name: 'N'.repeat(51) }))[0]!,
      /Name must not be more than 50 characters/,
    );
    assert.match(
      (await refused({ code: code(), description: 'd'.repeat(4001) }))[0]!,
      /Description must not be more than 4000 characters/,
    );
    assert.match((await refused({ name: 'no code' } as Item))[0]!, /Code must be specified/);
  });

  it('checks account codes and tax types: they must exist and be active, and the error names them', async () => {
    const [unknown, archived, badTax, deletedTax] = await create([
      { code: code(), salesDetails: { accountCode: '999' } },
      { code: code(), salesDetails: { accountCode: '205' } },
      { code: code(), purchaseDetails: { accountCode: '310', taxType: 'NOPE' } },
      { code: code(), salesDetails: { accountCode: '200', taxType: 'INPUT' } },
    ]);
    assert.deepEqual(
      [unknown, archived, badTax].map((i) => [i!.statusAttributeString, i!.validationErrors![0]!.message]),
      [
        ['ERROR', "Account code '999' is not a valid code for this item."],
        ['ERROR', "The account code '205' has been archived, or deleted, and cannot be used on an item."],
        ['ERROR', "The TaxType code 'NOPE' does not exist or cannot be used for this type of transaction."],
      ],
    );
    assert.equal(deletedTax!.statusAttributeString, 'ERROR', 'a deleted tax rate is refused');
  });

  it('POST /Items updates by ItemID (the code may change case) or by an existing code, and creates the rest', async () => {
    const c = code('UP');
    const [first] = await create([{ code: c, name: 'Old', salesDetails: { unitPrice: 10, accountCode: '200' } }]);
    const [byId, fresh] = (
      await api.updateOrCreateItems(
        tenantId,
        {
          items: [
            { itemID: first!.itemID, code: c.toLowerCase(), name: 'New', salesDetails: { unitPrice: 12 } },
            { code: code('UP'), name: 'Created by POST' },
          ],
        },
        false,
      )
    ).body.items!;
    assert.equal(byId!.itemID, first!.itemID);
    assert.deepEqual([byId!.code, byId!.name, byId!.salesDetails!.unitPrice], [c.toLowerCase(), 'New', 12]);
    assert.equal(byId!.salesDetails!.accountCode, '200', 'detail fields not sent are kept');
    assert.equal(fresh!.statusAttributeString, 'OK');
    const [byCode] = (
      await api.updateOrCreateItems(tenantId, { items: [{ code: c.toUpperCase(), name: 'By code' }] }, false)
    ).body.items!;
    assert.equal(byCode!.itemID, first!.itemID, 'an existing code (in any case) names the item: no second item');
    const all = (await api.getItems(tenantId)).body.items!.filter((i) => i.code!.toLowerCase() === c.toLowerCase());
    assert.equal(all.length, 1);
    const missing = (
      await api.updateOrCreateItems(
        tenantId,
        { items: [{ itemID: '00000000-0000-4000-8000-000000000000', code: code() }] },
        false,
      )
    ).body.items![0]!;
    assert.match(missing.validationErrors![0]!.message!, /could not be found/);
  });

  it('without summarizeErrors=false one bad item makes a 400 — yet the good ones are created (the trap)', async () => {
    const good = code('TRAP');
    const err = await rejection(
      api.createItems(tenantId, { items: [{ code: good }, { code: code(), salesDetails: { accountCode: '999' } }] }),
    );
    assert.equal(err.response.statusCode, 400);
    assert.equal((err.response.body as { Elements: unknown[] }).Elements.length, 1, 'only the bad item is reported');
    const created = (await api.getItems(tenantId, undefined, `Code=="${good}"`)).body.items!;
    assert.equal(created.length, 1, 'the good item was created anyway');
  });

  it('replays a write with the same Idempotency-Key and creates nothing more', async () => {
    const c = code('IDEM');
    const body = { Items: [{ Code: c, Name: 'Once' }] };
    const first = await rawApi(sim, 'PUT', '/Items?summarizeErrors=false', { body, headers: { 'Idempotency-Key': c } });
    const again = await rawApi(sim, 'PUT', '/Items?summarizeErrors=false', { body, headers: { 'Idempotency-Key': c } });
    assert.equal(first.status, 200);
    assert.equal(again.text, first.text);
    assert.equal(sim.sim.items(tenantId).filter((i) => i.Code === c).length, 1);
  });

  it('an invoice line naming a pushed item code takes its description, price, account and tax type', async () => {
    const c = code('LINE');
    await create([
      {
        code: c,
        description: 'Gas fitting, per hour',
        salesDetails: { unitPrice: 95, accountCode: '260', taxType: 'OUTPUT2' },
      },
    ]);
    const inv = (
      await api.createInvoices(
        tenantId,
        {
          invoices: [
            {
              type: Invoice.TypeEnum.ACCREC,
              contact: { name: 'Ridgeway University' },
              date: '2025-03-01',
              dueDate: '2025-03-31',
              lineItems: [{ itemCode: c.toLowerCase(), quantity: 2 }],
            },
          ],
        },
        false,
      )
    ).body.invoices![0]!;
    const line = inv.lineItems![0]!;
    assert.deepEqual(
      [line.itemCode, line.description, line.unitAmount, line.accountCode, line.taxType, line.lineAmount],
      [c, 'Gas fitting, per hour', 95, '260', 'OUTPUT2', 190],
    );
  });
});

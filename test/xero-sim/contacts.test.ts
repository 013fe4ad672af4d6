import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Contact, Phone } from 'xero-node';
import { rawApi, rejection, sleep, startTestSim, validationMessages } from './helpers';

describe('contacts', async () => {
  const sim = await startTestSim({ limits: { perMinute: 100_000 } });
  const { api, tenantId } = sim;

  it("creates a contact and answers Xero's full shape (both address types, four phone types)", async () => {
    const c = (
      await api.createContacts(tenantId, {
        contacts: [
          {
            name: 'Harbour Cafe',
            contactNumber: 'HOST-1',
            emailAddress: 'a@harbour.example',
            phones: [{ phoneType: Phone.PhoneTypeEnum.MOBILE, phoneNumber: '021 555' }],
          },
        ],
      })
    ).body.contacts![0]!;
    assert.equal(c.contactStatus, Contact.ContactStatusEnum.ACTIVE);
    assert.deepEqual(c.addresses!.map((a) => a.addressType).sort(), ['POBOX', 'STREET']);
    assert.deepEqual(c.phones!.map((p) => p.phoneType).sort(), ['DDI', 'DEFAULT', 'FAX', 'MOBILE']);
    assert.equal(c.phones!.find((p) => p.phoneType === Phone.PhoneTypeEnum.MOBILE)!.phoneNumber, '021 555');
  });

  it('refuses a second active contact with the same name; an archived one frees the name', async () => {
    const err = await rejection(api.createContacts(tenantId, { contacts: [{ name: 'Boom FM' }] }));
    assert.deepEqual(validationMessages(err), [
      'The contact name Boom FM is already assigned to another contact. The contact name must be unique across all active contacts.',
    ]);
    const reused = await api.createContacts(tenantId, { contacts: [{ name: 'Old Supplier Ltd' }] });
    assert.equal(reused.response.status, 200);
  });

  it('finds a contact by ContactNumber in the path, and updates by ContactID with POST', async () => {
    const byNumber = (await api.getContactByContactNumber(tenantId, 'CUST-001')).body.contacts![0]!;
    assert.equal(byNumber.name, 'Ridgeway University');
    const updated = (
      await api.updateContact(tenantId, byNumber.contactID!, { contacts: [{ emailAddress: 'new@ridgeway.example' }] })
    ).body.contacts![0]!;
    assert.equal(updated.emailAddress, 'new@ridgeway.example');
    assert.equal(updated.name, 'Ridgeway University');
    const missing = await rejection(api.getContactByContactNumber(tenantId, 'NOPE-404'));
    assert.equal(missing.response.statusCode, 404);
  });

  it('filters with where (Name, ContactNumber, ContactStatus, AND), searchTerm and includeArchived', async () => {
    const names = async (where?: string, searchTerm?: string, includeArchived?: boolean) =>
      (
        await api.getContacts(
          tenantId,
          undefined,
          where,
          undefined,
          undefined,
          undefined,
          includeArchived,
          undefined,
          searchTerm,
        )
      ).body
        .contacts!.map((c) => c.name)
        .sort();
    // Xero's `==` keeps case; ToLower() is how integrators match names without it (xero-facts.md, Contacts).
    assert.deepEqual(await names('Name=="boom fm"'), []);
    assert.deepEqual(await names('Name=="Boom FM"'), ['Boom FM']);
    assert.deepEqual(await names('Name.ToLower()=="boom fm"'), ['Boom FM']);
    assert.deepEqual(await names('ContactNumber=="CUST-001"'), ['Ridgeway University']);
    assert.deepEqual(await names('ContactStatus=="ACTIVE" AND Name=="PowerDirect"'), ['PowerDirect']);
    assert.deepEqual(await names('ContactStatus=="ARCHIVED"'), []);
    assert.deepEqual(await names('ContactStatus=="ARCHIVED"', undefined, true), ['Old Supplier Ltd']);
    assert.deepEqual(await names(undefined, 'ridgeway'), ['Ridgeway University']);
    assert.deepEqual(await names(undefined, 'sam@boom'), ['Boom FM']);
    // searchTerm is a contains in any case across Name, FirstName, LastName, ContactNumber and EmailAddress.
    assert.deepEqual(await names(undefined, 'RIDGEWAY uni'), ['Ridgeway University']);
    assert.deepEqual(await names(undefined, 'SAM'), ['Boom FM']);
    assert.deepEqual(await names(undefined, 'wilSON'), ['Boom FM']);
    assert.deepEqual(await names(undefined, 'cust-0'), ['Ridgeway University']);
    // The seeded archived one (an active namesake was created above) only with includeArchived.
    assert.deepEqual(await names(undefined, 'old supplier'), ['Old Supplier Ltd']);
    assert.deepEqual(await names(undefined, 'old supplier', true), ['Old Supplier Ltd', 'Old Supplier Ltd']);
    const bad = await rawApi(sim, 'GET', `/Contacts?where=${encodeURIComponent('Name=="unterminated')}`);
    assert.equal(bad.status, 400);
  });

  it('reads incrementally with If-Modified-Since (to the second)', async () => {
    await sleep(1100);
    const since = new Date();
    await sleep(10);
    await api.createContacts(tenantId, { contacts: [{ name: 'Since Test Ltd' }] });
    const changed = (await api.getContacts(tenantId, since)).body.contacts!.map((c) => c.name);
    assert.deepEqual(changed, ['Since Test Ltd']);
  });

  it('pages with page/pageSize and reports pagination; summaryOnly leaves out addresses and phones', async () => {
    const page1 = (
      await api.getContacts(
        tenantId,
        undefined,
        undefined,
        'Name ASC',
        undefined,
        1,
        undefined,
        undefined,
        undefined,
        2,
      )
    ).body;
    assert.equal(page1.contacts!.length, 2);
    assert.equal(page1.pagination!.pageSize, 2);
    assert.ok(page1.pagination!.itemCount! >= 5);
    assert.equal(page1.pagination!.pageCount, Math.ceil(page1.pagination!.itemCount! / 2));
    const page2 = (
      await api.getContacts(
        tenantId,
        undefined,
        undefined,
        'Name ASC',
        undefined,
        2,
        undefined,
        undefined,
        undefined,
        2,
      )
    ).body;
    assert.notEqual(page2.contacts![0]!.contactID, page1.contacts![0]!.contactID);
    const summary = await rawApi(sim, 'GET', '/Contacts?summaryOnly=true');
    assert.equal(summary.json.Contacts[0].Addresses, undefined);
    assert.equal(summary.json.Contacts[0].Phones, undefined);
  });

  it('batches with summarizeErrors=false: 200, HasValidationErrors and StatusAttributeString per contact', async () => {
    const res = await api.createContacts(
      tenantId,
      { contacts: [{ name: 'Batch One' }, { name: 'Boom FM' }, { name: '' }] },
      false,
    );
    assert.equal(res.response.status, 200);
    const [a, b, c] = res.body.contacts!;
    assert.deepEqual([a!.statusAttributeString, a!.hasValidationErrors], ['OK', false]);
    assert.deepEqual([b!.statusAttributeString, b!.hasValidationErrors], ['ERROR', true]);
    assert.match(b!.validationErrors![0]!.message!, /already assigned/);
    assert.equal(c!.statusAttributeString, 'ERROR');
  });

  it('POST /Contacts updates the contact with the same ContactNumber instead of duplicating it', async () => {
    const first = (
      await api.updateOrCreateContacts(tenantId, { contacts: [{ name: 'Upsert Co', contactNumber: 'HOST-42' }] }, false)
    ).body.contacts![0]!;
    const second = (
      await api.updateOrCreateContacts(
        tenantId,
        { contacts: [{ name: 'Upsert Company', contactNumber: 'HOST-42' }] },
        false,
      )
    ).body.contacts![0]!;
    assert.equal(second.contactID, first.contactID);
    assert.equal(second.name, 'Upsert Company');
  });
});

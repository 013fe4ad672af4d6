import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Contact } from 'xero-node';
import { findAccount } from '../src/access/accounts';
import { contactSearchHit } from '../src/xero/contact-search';
import { startAdminApp, type AdminApp } from './support/admin-app';
import { connectAccountForTest } from './support/xero-connect';

/**
 * The host's contact picker: GET /api/v1/accounts/{id}/xero/contacts/search?q= — Xero's searchTerm
 * (any case; name, first and last name, contact number, email), at most 20, archived contacts left out,
 * answered live from the simulated organisation through the gateway.
 */

let app: AdminApp;
let apiKey: string;
let accountId: string;
let tenantId: string;

type Hit = {
  xeroContactId: string;
  name: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  contactNumber?: string;
  isCustomer?: boolean;
  isSupplier?: boolean;
};

const search = async (q: string, key = apiKey, account = 'shop-1') =>
  app.api(key, 'GET', `/accounts/${account}/xero/contacts/search?q=${encodeURIComponent(q)}`);
const names = async (q: string) => {
  const res = await search(q);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.contacts as Hit[]).map((c) => c.name).sort();
};

before(async () => {
  app = await startAdminApp({ limits: { perMinute: 10_000 } });
  const host = await app.newHostApp('Shop Co');
  apiKey = host.apiKey;
  assert.equal((await app.api(apiKey, 'PUT', '/accounts/shop-1', { name: 'Shop One' })).status, 201);
  accountId = (await findAccount(app.database.db, host.hostAppId, 'shop-1'))!.id;
  ({ tenantId } = await connectAccountForTest({
    db: app.database.db,
    cipher: app.access.cipher,
    simUrl: app.sim.url,
    accountId,
  }));

  // Contacts made in Xero (through the same gateway): 25 alike, a person, one with quotes, one archived.
  const created = await app.access.xeroCall(accountId, (api, t) =>
    api.createContacts(
      t,
      {
        contacts: [
          ...Array.from({ length: 25 }, (_, i) => ({ name: `Picker Test ${String(i + 1).padStart(2, '0')}` })),
          {
            name: 'Harbour Cafe',
            firstName: 'Aroha',
            lastName: 'Ngata',
            emailAddress: 'aroha@harbour.example',
            contactNumber: 'HOST-77',
          },
          { name: 'Tui "Builders" & Sons' },
          { name: 'Archived Picker Co' },
        ],
      },
      false,
    ),
  );
  const archived = created.contacts!.find((c) => c.name === 'Archived Picker Co')!;
  await app.access.xeroCall(accountId, (api, t) =>
    api.updateContact(t, archived.contactID!, { contacts: [{ contactStatus: Contact.ContactStatusEnum.ARCHIVED }] }),
  );
});
after(async () => {
  await app.close();
});

describe('Xero contact search for the host picker', () => {
  test('finds by part of the name in another case, by first name, last name, email and contact number', async () => {
    assert.deepEqual(await names('RBOUR ca'), ['Harbour Cafe']);
    assert.deepEqual(await names('aroha'), ['Harbour Cafe']);
    assert.deepEqual(await names('NGATA'), ['Harbour Cafe']);
    assert.deepEqual(await names('Aroha@Harbour.Example'), ['Harbour Cafe']);
    assert.deepEqual(await names('host-77'), ['Harbour Cafe']);
    // Seeded contacts: Boom FM's person is Sam Wilson.
    assert.deepEqual(await names('sam'), ['Boom FM']);
    assert.deepEqual(await names('zzz-no-such-contact'), []);
    // Quotes and ampersands reach Xero as a search term, not as a filter that could break.
    assert.deepEqual(await names('"builders" &'), ['Tui "Builders" & Sons']);
    // Surrounding spaces are not part of the term.
    assert.deepEqual(await names('  cafe  '), ['Harbour Cafe']);

    const hit = (await search('aroha')).body.contacts[0] as Hit;
    assert.match(hit.xeroContactId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...hit, xeroContactId: 'id' },
      {
        xeroContactId: 'id',
        name: 'Harbour Cafe',
        firstName: 'Aroha',
        lastName: 'Ngata',
        email: 'aroha@harbour.example',
        contactNumber: 'HOST-77',
        isCustomer: false,
        isSupplier: false,
      },
    );
    const ridgeway = (await search('ridgeway')).body.contacts[0] as Hit;
    assert.equal(ridgeway.isCustomer, true);
    assert.equal(ridgeway.contactNumber, 'CUST-001');
    assert.equal(ridgeway.firstName, undefined, 'empty fields are left out');
  });

  test('answers at most 20, from one Xero call asking for one page of 20', async () => {
    app.sim.sim.clearRequestLog();
    const found = await names('pICKER tEST');
    assert.equal(found.length, 20);
    assert.ok(found.every((n) => /^Picker Test \d\d$/.test(n)));
    const calls = app.sim.sim.requestLog({ pathContains: '/Contacts' });
    assert.equal(calls.length, 1);
    const query = new URL(calls[0]!.path, 'http://sim').searchParams;
    assert.equal(query.get('searchTerm'), 'pICKER tEST');
    assert.equal(query.get('page'), '1');
    assert.equal(query.get('pageSize'), '20');
    assert.notEqual(query.get('includeArchived'), 'true');
    assert.equal(calls[0]!.tenantId, tenantId);
  });

  test('leaves archived contacts out', async () => {
    assert.deepEqual(await names('picker co'), []);
    assert.deepEqual(await names('old supplier'), [], 'the seeded archived supplier is offered');
    // They exist: Xero finds them when archived contacts are asked for.
    const withArchived = await app.access.xeroCall(accountId, (api, t) =>
      api.getContacts(t, undefined, undefined, undefined, undefined, 1, true, true, 'picker co', 20),
    );
    assert.deepEqual(
      withArchived.contacts!.map((c) => c.name),
      ['Archived Picker Co'],
    );
    assert.equal(
      contactSearchHit(withArchived.contacts![0]!),
      undefined,
      'an archived contact in an answer is dropped as well',
    );
  });

  test('q is required, 1 to 100 characters, one line: otherwise 400 naming q', async () => {
    const bad = async (path: string) => {
      const res = await app.api(apiKey, 'GET', `/accounts/shop-1/xero/contacts/search${path}`);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_query');
      assert.equal(typeof res.body.message, 'string');
      assert.deepEqual(Object.keys(res.body.fields), ['q'], path);
      return res.body.fields.q as string;
    };
    assert.equal(await bad(''), 'required');
    assert.equal(await bad('?q='), 'required');
    assert.equal(await bad('?q=%20%20'), 'required');
    assert.equal(await bad(`?q=${'a'.repeat(101)}`), 'at most 100 characters');
    assert.match(await bad('?q=ab%01cd'), /control characters/);
    assert.match(await bad('?q=ab%0Acd'), /control characters/);
    assert.match(await bad('?q=ab%00cd'), /NUL/);
    assert.match(await bad('?q=a&q=b'), /once/);
    assert.equal((await search('a'.repeat(100))).status, 200);
    assert.equal((await search('é'.repeat(100))).status, 200);
  });

  test("another host app's account is not found; an account without a connection is 409 not_connected", async () => {
    const other = await app.newHostApp('Other Co');
    const foreign = await search('cafe', other.apiKey, 'shop-1');
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error, 'account_not_found');

    // The other host's own "shop-1" is a different account, not connected.
    assert.equal((await app.api(other.apiKey, 'PUT', '/accounts/shop-1', { name: 'Their Shop' })).status, 201);
    const unconnected = await search('cafe', other.apiKey, 'shop-1');
    assert.equal(unconnected.status, 409);
    assert.equal(unconnected.body.error, 'not_connected');
    assert.equal(typeof unconnected.body.message, 'string');

    const noKey = await fetch(`${app.url}/api/v1/accounts/shop-1/xero/contacts/search?q=cafe`);
    assert.equal(noKey.status, 401);
  });

  test('a connection Xero no longer accepts is 409 not_connected too', async () => {
    app.sim.sim.revokeTokens({ tenantId });
    const res = await search('cafe');
    assert.equal(res.status, 409);
    assert.equal(res.body.error, 'not_connected');
    assert.match(res.body.message, /reconnect/);
  });
});

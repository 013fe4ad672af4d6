import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import {
  CONTROL_MESSAGE,
  documentNumber,
  FREE_TEXT_CONTROL_MESSAGE,
  freeText,
  identifier,
  NUL_MESSAGE,
  SURROGATE_MESSAGE,
  unstorableTextProblem,
} from '../src/domain/text';
import { findBodyProblems } from '../web/api/json-body';
import { canonicalJson, requestHash } from '../web/api/idempotency';
import { settingsSchema } from '../src/domain/settings';
import { hostContactIdSchema } from '../src/domain/contact';

/** The text rules hosts' documents pass through, value by value. */

type Row = [input: string, expected: { ok: string } | { error: string }];

function check(schema: z.ZodType, rows: Row[]) {
  for (const [input, expected] of rows) {
    const r = schema.safeParse(input);
    const label = JSON.stringify(input);
    if ('ok' in expected) {
      assert.ok(r.success, `${label} should pass: ${JSON.stringify(r.error?.issues)}`);
      assert.equal(r.data, expected.ok, label);
    } else {
      assert.ok(!r.success, `${label} should be refused`);
      assert.equal(r.error.issues[0]?.message, expected.error, label);
    }
  }
}

const EMOJI = '\u{1F600}'; // one code point, two UTF-16 code units

describe('identifier(max)', () => {
  test('trimmed, non-empty, no control characters, length in UTF-16 code units', () => {
    check(identifier(10), [
      ['acme-1', { ok: 'acme-1' }],
      ['  acme-1  ', { ok: 'acme-1' }],
      ['Ærø Čapek', { ok: 'Ærø Čapek' }],
      ['日本語', { ok: '日本語' }],
      [EMOJI.repeat(5), { ok: EMOJI.repeat(5) }],
      [EMOJI.repeat(5) + 'x', { error: 'at most 10 characters' }],
      ['x'.repeat(10), { ok: 'x'.repeat(10) }],
      ['x'.repeat(11), { error: 'at most 10 characters' }],
      ['', { error: 'must not be empty' }],
      ['   ', { error: 'must not be empty' }],
      ['a\u0000b', { error: NUL_MESSAGE }],
      ['a\u0001b', { error: CONTROL_MESSAGE }],
      ['a\tb', { error: CONTROL_MESSAGE }],
      ['a\nb', { error: CONTROL_MESSAGE }],
      ['a\u001Fb', { error: CONTROL_MESSAGE }],
      ['a\u007Fb', { error: CONTROL_MESSAGE }],
      ['a\u0085b', { error: CONTROL_MESSAGE }],
      ['a\u009Fb', { error: CONTROL_MESSAGE }],
      ['a\u00A0b', { ok: 'a\u00A0b' }],
      ['a\uD800b', { error: SURROGATE_MESSAGE }],
      ['a\uDC00', { error: SURROGATE_MESSAGE }],
    ]);
  });

  test('the empty message can be the caller’s', () => {
    check(identifier(5, { empty: 'required' }), [['', { error: 'required' }]]);
  });

  test('stays a string schema: callers chain their own rules', () => {
    check(identifier(20).regex(/^[a-z]+$/, 'lower case only'), [
      ['abc', { ok: 'abc' }],
      ['ABC', { error: 'lower case only' }],
    ]);
    assert.equal(identifier(5).optional().safeParse(undefined).success, true);
  });
});

describe('documentNumber(max)', () => {
  test('any printable character Xero accepts, controls refused', () => {
    const printable = [
      'Cs3-1038,116',
      'INV/2026/001',
      'O"Brien\'s #7',
      'a\\b?c%d',
      'Q 12 & 13',
      'Заказ-٣٤',
      `order ${EMOJI}`,
    ];
    check(
      documentNumber(50),
      printable.map((n): Row => [n, { ok: n }]),
    );
    check(documentNumber(50), [
      [' INV-1 ', { ok: 'INV-1' }],
      ['INV\u00001', { error: NUL_MESSAGE }],
      ['INV\u00071', { error: CONTROL_MESSAGE }],
      ['INV\r\n1', { error: CONTROL_MESSAGE }],
      ['INV\u009B1', { error: CONTROL_MESSAGE }],
      ['', { error: 'must not be empty' }],
      ['x'.repeat(51), { error: 'at most 50 characters' }],
    ]);
  });
});

describe('freeText(max)', () => {
  test('tabs and line breaks allowed; NUL, other C0 controls and unpaired surrogates not', () => {
    check(freeText(20), [
      ['', { ok: '' }],
      ['  two\nlines  ', { ok: 'two\nlines' }],
      ['a\tb\r\nc', { ok: 'a\tb\r\nc' }],
      ['DEL \u007F and C1 \u0085', { ok: 'DEL \u007F and C1 \u0085' }],
      ['a\u0000b', { error: NUL_MESSAGE }],
      ['bell\u0007', { error: FREE_TEXT_CONTROL_MESSAGE }],
      ['vt\u000Bff\u000C', { error: FREE_TEXT_CONTROL_MESSAGE }],
      ['esc\u001B[0m', { error: FREE_TEXT_CONTROL_MESSAGE }],
      ['half \uDE00', { error: SURROGATE_MESSAGE }],
      [EMOJI.repeat(10), { ok: EMOJI.repeat(10) }],
      [EMOJI.repeat(10) + '!', { error: 'at most 20 characters' }],
    ]);
  });
});

describe('unstorableTextProblem', () => {
  test('only what PostgreSQL or Xero cannot store at all', () => {
    const rows: Array<[string, string | undefined]> = [
      ['plain', undefined],
      ['tab\tand\nbreaks\u0007', undefined],
      [EMOJI, undefined],
      ['\u0000', NUL_MESSAGE],
      ['\uD83D', SURROGATE_MESSAGE],
      ['\uDE00\uD83D', SURROGATE_MESSAGE],
    ];
    for (const [value, expected] of rows) assert.equal(unstorableTextProblem(value), expected, JSON.stringify(value));
  });
});

describe('schemas that use them', () => {
  test('settings: codes, tracking names, the prefix and the job status refuse control characters', () => {
    const rows: Array<[Record<string, unknown>, string]> = [
      [{ revenueAccountCode: '2\u000000' }, 'revenueAccountCode'],
      [{ trackingCategoryName: 'Region\n' + 'x' }, 'trackingCategoryName'],
      [{ costCentreOptions: { N: 'North\u0001' } }, 'costCentreOptions.N'],
      [{ invoiceNumberPrefix: 'INV\u0008' }, 'invoiceNumberPrefix'],
      [{ exportedJobStatus: 'Invoiced\u0000' }, 'exportedJobStatus'],
    ];
    for (const [input, field] of rows) {
      const r = settingsSchema.safeParse(input);
      assert.ok(!r.success, field);
      assert.equal(r.error.issues[0]?.path.join('.'), field);
    }
    assert.equal(settingsSchema.safeParse({ revenueAccountCode: '' }).error?.issues[0]?.message, 'choose one');
    assert.equal(settingsSchema.safeParse({ invoiceNumberPrefix: 'INV-' }).data?.invoiceNumberPrefix, 'INV-');
  });

  test('host contact ids', () => {
    check(hostContactIdSchema, [
      ['cust-00042', { ok: 'cust-00042' }],
      ['cust\u000042', { error: NUL_MESSAGE }],
    ]);
  });
});

describe('the body-wide check of /api/v1', () => {
  test('names the JSON path of the first offenders, keys included', () => {
    assert.equal(
      findBodyProblems({ order: { customer: { name: 'Ok' }, lines: [{ description: 'fine' }] } }),
      undefined,
    );
    assert.deepEqual(
      findBodyProblems({ order: { customer: { name: 'A\u0000' }, lines: [{ description: 'x' }, { note: '\uD800' }] } })
        ?.fields,
      { 'order.customer.name': NUL_MESSAGE, 'order.lines.1.note': SURROGATE_MESSAGE },
    );
    assert.deepEqual(findBodyProblems({ options: { 'bad\u0000key': 1 } })?.fields, {
      'options.bad\\u0000key': `field names ${NUL_MESSAGE}`,
    });
    const many = findBodyProblems({ list: Array.from({ length: 50 }, () => '\u0000') });
    assert.deepEqual(Object.keys(many!.fields), ['list.0', 'list.1', 'list.2', 'list.3', 'list.4']);
  });

  test('a body nested deeper than any document is refused without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.match(findBodyProblems(deep)!.message, /nested more than 64 levels/);
  });
});

describe('the Idempotency-Key request hash', () => {
  test('the same request in another key order hashes the same; another method, path or body does not', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }),
      '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    const base = requestHash('PUT', '/api/v1/accounts/a', { name: 'A', options: {} });
    assert.equal(requestHash('PUT', '/api/v1/accounts/a', { options: {}, name: 'A' }), base);
    assert.notEqual(requestHash('POST', '/api/v1/accounts/a', { name: 'A', options: {} }), base);
    assert.notEqual(requestHash('PUT', '/api/v1/accounts/b', { name: 'A', options: {} }), base);
    assert.notEqual(requestHash('PUT', '/api/v1/accounts/a', { name: 'B', options: {} }), base);
    assert.notEqual(requestHash('PUT', '/api/v1/accounts/a', undefined), requestHash('PUT', '/api/v1/accounts/a', {}));
  });
});

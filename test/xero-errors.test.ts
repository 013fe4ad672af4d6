import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toXeroApiError } from '../src/xero/errors';

// The shape xero-node rejects with: a JSON string, not an Error.
const thrown = (statusCode: number, body: unknown, headers: Record<string, string> = {}) =>
  JSON.stringify({ response: { statusCode, body, headers }, body });

const cases: Array<
  [string, unknown, string, boolean, Partial<{ messages: string[]; retryAfter: number; problem: string }>]
> = [
  [
    'validation',
    thrown(400, {
      ErrorNumber: 10,
      Type: 'ValidationException',
      Message: 'A validation exception occurred',
      Elements: [
        { ValidationErrors: [{ Message: 'Invoice # must be unique.' }, { Message: 'Invoice # must be unique.' }] },
        { ValidationErrors: [{ Message: "Account code '205' has been archived" }] },
      ],
    }),
    'validation',
    false,
    { messages: ['Invoice # must be unique.', "Account code '205' has been archived"] },
  ],
  [
    '429 minute',
    thrown(429, 'Too many', { 'Retry-After': '7', 'X-Rate-Limit-Problem': 'Minute' }),
    'rate_limited',
    true,
    { retryAfter: 7, problem: 'minute' },
  ],
  [
    'expired token',
    thrown(401, { Title: 'Unauthorized' }, { 'www-authenticate': 'Bearer error="invalid_token"' }),
    'unauthorized',
    false,
    {},
  ],
  [
    'missing scope',
    thrown(401, { Title: 'Unauthorized' }, { 'www-authenticate': 'Bearer error="insufficient_scope"' }),
    'forbidden',
    false,
    {},
  ],
  ['unknown tenant', thrown(403, { Title: 'Forbidden' }), 'forbidden', false, {}],
  ['not found', thrown(404, "The resource you're looking for cannot be found"), 'not_found', false, {}],
  ['503', thrown(503, 'Service Unavailable'), 'server', true, {}],
  ['lost answer', thrown(0, 'socket hang up'), 'network', true, {}],
  ['not JSON at all', 'ECONNRESET', 'network', true, {}],
  ['a plain Error', new Error('boom'), 'network', true, {}],
];

for (const [name, input, kind, retryable, extra] of cases) {
  test(`classifies ${name}`, () => {
    const e = toXeroApiError(input);
    assert.equal(e.kind, kind);
    assert.equal(e.retryable, retryable);
    if (extra.messages) assert.deepEqual(e.validationMessages, extra.messages);
    if (extra.retryAfter !== undefined) assert.equal(e.retryAfterSeconds, extra.retryAfter);
    if (extra.problem) assert.equal(e.rateLimitProblem, extra.problem);
    // Never carries a bearer token or the raw thrown text into logs.
    assert.doesNotMatch(JSON.stringify({ ...e, message: e.message }), /Bearer\s+ey/);
  });
}

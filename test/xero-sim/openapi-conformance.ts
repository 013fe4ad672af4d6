import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import addFormats from 'ajv-formats';
import OpenAPIBackend from 'openapi-backend';
import YAML from 'yaml';
import type { RecordedResponse } from '../../src/xero-sim/store';

/**
 * Checks the simulator's answers against Xero's official OpenAPI description with openapi-backend
 * (ajv underneath, `$ref`s resolved). The description is made strict first — an object may carry
 * no property the description does not name — so a misspelt field fails, not just a wrong type.
 * The only additions are fields Xero's own examples in the same file show but its schemas omit.
 */

const SPEC = path.resolve(__dirname, '../../../shared/xero-openapi/xero_accounting.yaml');

/** Fields present in the description's examples (and Xero's answers) but missing from its schemas. */
const EXAMPLE_ONLY_FIELDS: Record<string, Record<string, { type: string }>> = {
  Invoice: { DateString: { type: 'string' }, DueDateString: { type: 'string' } },
  CreditNote: { DateString: { type: 'string' } },
};

/** Xero's envelope on every collection (in every example, e.g. getInvoices': Id, Status, ProviderName, DateTimeUTC). */
const ENVELOPE = {
  Id: { type: 'string' },
  Status: { type: 'string' },
  ProviderName: { type: 'string' },
  DateTimeUTC: { type: 'string' },
};
const COLLECTIONS = [
  'Organisations',
  'Accounts',
  'TaxRates',
  'TrackingCategories',
  'BrandingThemes',
  'Items',
  'Contacts',
  'Invoices',
  'OnlineInvoices',
  'Payments',
  'CreditNotes',
  'Allocations',
  'Attachments',
];

/** Echoes of the rejected element: Xero puts the element as sent, whatever it held. */
const OPEN_SCHEMAS = new Set(['Element']);

function strictDefinition(): Record<string, any> {
  const cache = path.join(os.tmpdir(), `xero-sim-openapi-strict-${statSync(SPEC).mtimeMs}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8'));
  const doc = YAML.parse(readFileSync(SPEC, 'utf8'));
  const schemas = doc.components.schemas as Record<string, any>;
  for (const [name, schema] of Object.entries(schemas)) {
    if (!schema.properties || OPEN_SCHEMAS.has(name)) continue;
    Object.assign(schema.properties, EXAMPLE_ONLY_FIELDS[name] ?? {}, COLLECTIONS.includes(name) ? ENVELOPE : {});
    schema.additionalProperties = false;
  }
  writeFileSync(cache, JSON.stringify(doc));
  return doc;
}

/**
 * Many operations answer the same schema (getInvoices, createInvoices, updateInvoice… all answer
 * `Invoices`). Validating through one operation per (status, schema) compiles each schema once, which
 * keeps the check cheap enough to run at the end of every test file.
 */
function canonicalOperations(doc: Record<string, any>): Map<string, string> {
  const bySchema = new Map<string, string>();
  const canonical = new Map<string, string>();
  for (const item of Object.values(doc.paths as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      if (!op || typeof op !== 'object' || !op.operationId || !op.responses) continue;
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        const ref = response?.$ref ?? response?.content?.['application/json']?.schema?.$ref;
        if (!ref) continue;
        const key = `${status} ${ref}`;
        if (!bySchema.has(key)) bySchema.set(key, op.operationId);
        canonical.set(`${op.operationId} ${status}`, bySchema.get(key)!);
      }
    }
  }
  return canonical;
}

let backend: Promise<{ b: OpenAPIBackend; canonical: Map<string, string> }> | undefined;

function api(): Promise<{ b: OpenAPIBackend; canonical: Map<string, string> }> {
  backend ??= (async () => {
    const definition = strictDefinition();
    const canonical = canonicalOperations(definition);
    const b = new OpenAPIBackend({
      definition: definition as any,
      quick: true,
      strict: false,
      validate: true,
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await b.init();
    return { b, canonical };
  })();
  return backend;
}

export interface ConformanceFailure {
  request: string;
  errors: string;
}

/** Validates every JSON answer that the description defines a schema for (2xx, and 400 Error bodies). */
export async function conformanceFailures(
  recorded: RecordedResponse[],
): Promise<{ checked: number; failures: ConformanceFailure[] }> {
  const { b, canonical } = await api();
  let checked = 0;
  const failures: ConformanceFailure[] = [];
  for (const r of recorded) {
    if (!r.contentType.includes('json')) continue;
    const isXeroError = r.status === 400 && typeof r.body === 'object' && r.body !== null && 'ErrorNumber' in r.body;
    if (!(r.status >= 200 && r.status < 300) && !isXeroError) continue;
    const operation = b.matchOperation({ method: r.method.toLowerCase(), path: r.path, headers: {}, query: r.query });
    if (!operation) continue;
    const responses = operation.responses as Record<string, unknown> | undefined;
    if (!responses?.[String(r.status)]) continue;
    checked++;
    const via = canonical.get(`${operation.operationId} ${r.status}`) ?? operation.operationId!;
    const result = b.validateResponse(r.body, via, r.status);
    if (!result.valid) {
      failures.push({
        request: `${r.method} ${r.path} → ${r.status}`,
        errors: (result.errors ?? [])
          .slice(0, 5)
          .map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`)
          .join('; '),
      });
    }
  }
  return { checked, failures };
}

export async function assertConformance(recorded: RecordedResponse[]): Promise<void> {
  const { failures } = await conformanceFailures(recorded);
  assert.deepEqual(failures, [], "every answer conforms to Xero's OpenAPI description");
}

/** The start-up error's hint for each way a Temporal connection is refused (no server needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeConnectFailure } from '../src/temporal/connection';
import { resolveTemporalConnection, TemporalConnectionSettings } from '../src/temporal/connection-options';

const plainTls = resolveTemporalConnection({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'true' });
const mtls = new TemporalConnectionSettings(
  'temporal:7233',
  'default',
  ['environment'],
  { enabled: true, serverCa: true, clientCert: true },
  false,
  [],
  {},
);
const reset = new Error('Failed to call GetSystemInfo: transport error', {
  cause: new Error('tonic::transport::Error(Transport, hyper::Error(Io, Kind(ConnectionReset)))'),
});

const cases: { name: string; settings: typeof plainTls; err: unknown; expect: RegExp }[] = [
  {
    name: 'an mTLS refusal that arrives as a reset names the client certificate',
    settings: mtls,
    err: reset,
    expect: /does not accept the client certificate \(TEMPORAL_TLS_CLIENT_CERT_PATH/,
  },
  {
    name: 'a reset under TLS with no client certificate asks for one',
    settings: plainTls,
    err: reset,
    expect: /asks for a client certificate \(mTLS\): set TEMPORAL_TLS_CLIENT_CERT_PATH/,
  },
  {
    name: 'an unknown issuer names the CA variable',
    settings: plainTls,
    err: new Error('invalid peer certificate: UnknownIssuer'),
    expect: /TEMPORAL_TLS_SERVER_CA_CERT_PATH/,
  },
  {
    name: 'a plain port under TLS says to switch TLS off',
    settings: plainTls,
    err: new Error('received corrupt message of type InvalidContentType'),
    expect: /does not speak TLS/,
  },
];

for (const c of cases)
  test(c.name, () => {
    const text = describeConnectFailure('temporal:7233', c.settings, c.err);
    assert.match(text, c.expect);
    assert.match(text, /^Temporal at temporal:7233/);
  });

test('a reset with TLS off is not blamed on certificates', () => {
  const plain = resolveTemporalConnection({ TEMPORAL_ADDRESS: 'temporal:7233' });
  assert.doesNotMatch(describeConnectFailure('temporal:7233', plain, reset), /certificate/);
});

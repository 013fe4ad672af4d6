import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawApi, rejection, sleep, startTestSim } from './helpers';

/** Rate limits with a 1-second "minute" and a 3-second "day", so windows pass quickly. */
describe('rate limits', async () => {
  const sim = await startTestSim({
    minuteMs: 1000,
    dayMs: 3000,
    limits: { perMinute: 5, perDay: 8, concurrent: 2, appPerMinute: 9 },
  });

  it('counts down X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining, then answers 429 minute with Retry-After', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await rawApi(sim, 'GET', '/Organisation');
      assert.equal(res.status, 200);
      seen.push(
        `${res.headers.get('x-minlimit-remaining')}/${res.headers.get('x-daylimit-remaining')}/${res.headers.get('x-appminlimit-remaining')}`,
      );
    }
    assert.deepEqual(seen, ['4/7/8', '3/6/7', '2/5/6', '1/4/5', '0/3/4']);
    const limited = await rawApi(sim, 'GET', '/Organisation');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('x-rate-limit-problem'), 'minute');
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.headers.get('x-minlimit-remaining'), '0');
    const viaNode = await rejection(sim.api.getOrganisations(sim.tenantId));
    assert.equal(viaNode.response.statusCode, 429);
    assert.equal(viaNode.response.headers['x-rate-limit-problem'], 'minute');
  });

  it('the minute rolls: calls are allowed again once the oldest leave the window', async () => {
    await sleep(1050);
    const res = await rawApi(sim, 'GET', '/Organisation');
    assert.equal(res.status, 200);
  });

  it('the day limit answers 429 day, with a Retry-After to the end of the rolling day', async () => {
    await sleep(1050);
    await rawApi(sim, 'GET', '/Organisation');
    let res = await rawApi(sim, 'GET', '/Organisation');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-daylimit-remaining'), '0');
    res = await rawApi(sim, 'GET', '/Organisation');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-rate-limit-problem'), 'day');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  });

  it('limits are per tenant, and the app-wide minute limit spans tenants (appminute)', async () => {
    await sleep(3100);
    sim.sim.setLimits({ perMinute: 5, perDay: 100, appPerMinute: 7 });
    for (let i = 0; i < 5; i++) assert.equal((await rawApi(sim, 'GET', '/Organisation')).status, 200);
    assert.equal((await rawApi(sim, 'GET', '/Organisation')).headers.get('x-rate-limit-problem'), 'minute');
    const other = await rawApi(sim, 'GET', '/Organisation', { tenantId: sim.otherTenantId });
    assert.equal(other.status, 200, 'the other tenant has its own minute');
    assert.equal(other.headers.get('x-minlimit-remaining'), '4');
    assert.equal((await rawApi(sim, 'GET', '/Organisation', { tenantId: sim.otherTenantId })).status, 200);
    const app = await rawApi(sim, 'GET', '/Organisation', { tenantId: sim.otherTenantId });
    assert.equal(app.status, 429);
    assert.equal(app.headers.get('x-rate-limit-problem'), 'appminute');
  });

  it('more than the concurrent limit in progress answers 429 concurrent', async () => {
    sim.sim.setLimits({ perMinute: 100, perDay: 1000, appPerMinute: 1000, concurrent: 2 });
    sim.sim.addFault({ path: '/Organisation', latencyMs: 300 });
    const results = await Promise.all([0, 1, 2, 3].map(() => rawApi(sim, 'GET', '/Organisation')));
    sim.sim.clearFaults();
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const refused = results.find((r) => r.status === 429)!;
    assert.equal(refused.headers.get('x-rate-limit-problem'), 'concurrent');
    assert.equal((await rawApi(sim, 'GET', '/Organisation')).status, 200, 'slots free again once answered');
  });

  it("uses Xero's defaults when not told otherwise: 60/min, 5 concurrent, 5000/day, 10000 app/min", async () => {
    sim.sim.setLimits({ perMinute: 60, concurrent: 5, perDay: 5000, appPerMinute: 10_000 });
    const res = await rawApi(sim, 'GET', '/Organisation');
    assert.deepEqual(
      [
        res.headers.get('x-minlimit-remaining'),
        res.headers.get('x-daylimit-remaining'),
        res.headers.get('x-appminlimit-remaining'),
      ],
      ['59', '4999', '9999'],
    );
  });
});

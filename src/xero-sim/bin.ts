import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, startXeroSimulator } from './server';

/** `npm run xero-sim`: the simulator on PORT (default 4010), until Ctrl-C. */
async function main() {
  const port = Number(process.env.PORT ?? process.env.XERO_SIM_PORT ?? 4010);
  const host = process.env.HOST ?? '127.0.0.1';
  const sim = await startXeroSimulator({
    port,
    host,
    logLevel: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn',
    // XERO_SIM_STATE=path/to/file.json keeps the state across restarts.
    ...(process.env.XERO_SIM_STATE ? { persistPath: process.env.XERO_SIM_STATE } : {}),
  });
  const orgs = sim.sim.organisations();
  process.stdout.write(
    [
      `Xero simulator listening on ${sim.url}`,
      `  login/identity/API base URL: ${sim.url}  (accounting at ${sim.url}/api.xro/2.0)`,
      `  demo app: client_id=${DEMO_CLIENT_ID} client_secret=${DEMO_CLIENT_SECRET} (any redirect URI)`,
      `  organisations: ${orgs.map((o) => `${o.name} (${o.tenantId})`).join(', ')}`,
      `  control API: ${sim.url}/__sim`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`xero-sim failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

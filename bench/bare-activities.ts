/** The no-op activity of the bench's bare workflow (bench/workflows/bare.ts). */
export const bareActivities = {
  async noop(): Promise<void> {},
};
export type BareActivities = typeof bareActivities;

export const BARE_WORKFLOWS_PATH = require.resolve('./workflows/bare');

import { startDevServer, type DevServer } from './dev-server';

/** One real Temporal dev server for the whole run; its address reaches the tests through the environment. */
export default async function globalSetup(): Promise<void> {
  const server = await startDevServer();
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  (globalThis as { __TEMPORAL_DEV_SERVER__?: DevServer }).__TEMPORAL_DEV_SERVER__ = server;
}

import { Connection } from '@temporalio/client';

/**
 * A connection to the Temporal server at `address` once it serves (getSystemInfo answers), tried every
 * 300 ms for `timeoutMs`; `gone()` says why to stop early (a server process that exited).
 */
export async function connectWhenServing(address: string, timeoutMs: number, gone: () => string | null = () => null): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = gone();
    if (why) throw new Error(`the Temporal server at ${address} stopped before serving: ${why}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  throw new Error(`the Temporal server at ${address} did not come up in ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

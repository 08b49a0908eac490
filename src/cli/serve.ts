import { ConfigError, loadServerConfig } from '../config/config.ts';
import { startServer } from '../http/server.ts';

/** How long a stop may take (requests in flight, a mail delivery pass) before the process gives up on it and exits 1. */
export const SHUTDOWN_GRACE_MS = 20_000;

/** `sophon serve`: the one command that opens the database. */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadServerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`sophon serve: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  // Request logs as JSON lines on stdout, at Sophon:Logging:Level (docs/operations.md).
  const server = await startServer(config, { logger: true });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`Sophon Identity: ${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`Sophon Identity: ${signal}: no new connections; finishing the requests in flight, then closing the database`);
    setTimeout(() => {
      console.error(`Sophon Identity: could not stop within ${SHUTDOWN_GRACE_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Sophon Identity: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

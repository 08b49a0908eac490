import { ConfigError, loadServerConfig } from '../config/config.ts';
import { startServer } from '../http/server.ts';

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
  const server = await startServer(config, { logger: process.env.SOPHON_LOG === 'debug' });
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

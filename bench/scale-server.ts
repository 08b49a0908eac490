/**
 * The real server over a database the scale benchmark generated, in a process of its own so
 * that its resident memory (P7) is the server's alone, not the generator's or the client's.
 * bench/scale.ts starts it with the database in the environment; it prints one JSON line
 * `{ "url": … }` once listening, and closes on SIGTERM as `sophon serve` does.
 */
import { loadAppSettings, type ServerConfig } from '../src/config/config.ts';
import { startServer } from '../src/http/server.ts';

const dataDir = process.env.SOPHON_SCALE_DATA_DIR;
if (!dataDir) throw new Error('SOPHON_SCALE_DATA_DIR is not set: this script is started by bench/scale.ts');
const config: ServerConfig = {
  host: '127.0.0.1',
  port: 0,
  dataDir,
  databaseUrl: process.env.SOPHON_SCALE_DATABASE_URL || undefined,
  bootstrapAdminEmail: 'bench-admin@sophon.local',
  // Defaults only (this shell's Sophon__* variables don't apply); request logs off.
  settings: loadAppSettings({ Sophon__Logging__Level: 'silent' }, dataDir),
};
const server = await startServer(config, { print: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
const stop = () => void server.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

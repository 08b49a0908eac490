import { run } from './program.ts';

/** The `sophon` executable's entry point (bin/sophon.js imports it on Node 24+). */
process.exitCode = await run(process.argv.slice(2));

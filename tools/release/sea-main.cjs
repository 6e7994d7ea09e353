// The single executable's entry point. Node 24 runs an executable's main script as CommonJS
// only; the command line is an ES module (it awaits at its top level), so it travels as the
// executable's asset "cli.mjs" (tools/release/bundle.ts) and is imported from a data: URL.
const { getAsset } = require('node:sea');

const source = getAsset('cli.mjs', 'utf8');
import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`).catch((error) => {
  process.stderr.write(`kubectl-imanage: ${error?.stack ?? error}\n`);
  process.exitCode = 70;
});

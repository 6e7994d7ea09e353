// Injects the single-executable blob into a copy of Node (tools/release/cli.sh), with postject's
// API as its own command line would call it: the resource NODE_SEA_BLOB, and the fuse Node looks for.
import { readFile } from 'node:fs/promises';
import { inject } from 'postject';

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const [executable, blob] = process.argv.slice(2);
if (!executable || !blob) {
  process.stderr.write('usage: node tools/release/sea-inject.ts <executable> <blob>\n');
  process.exit(2);
}
await inject(executable, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SENTINEL_FUSE });

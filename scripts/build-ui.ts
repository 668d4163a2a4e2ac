/**
 * Bundles the pages' browser modules (leaderboard-ui/client/*.ts) with esbuild into
 * leaderboard-ui/static/js/ (built by npm install, npm start and npm test; never committed).
 */
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'leaderboard-ui');
const entries = readdirSync(join(root, 'client')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'client', f));
const result = await build({
  entryPoints: entries, bundle: true, minify: true, format: 'esm', target: 'es2022',
  outdir: join(root, 'static', 'js'), metafile: true, logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs).map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KB`);
if (process.argv.includes('--verbose')) console.log(`built ${sizes.join(', ')}`);

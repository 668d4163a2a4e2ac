/**
 * Bundles the pages' browser modules (leaderboard-ui/client/*.ts) with esbuild into
 * leaderboard-ui/static/js/ (built by npm install, npm start and npm test; never committed).
 */
import { build } from 'esbuild';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'leaderboard-ui');
/** The modules pages load (others in client/ are parts of these). */
const PAGE_MODULES = ['live', 'upload'];
const entries = PAGE_MODULES.map((m) => join(root, 'client', `${m}.ts`));
const result = await build({
  entryPoints: entries, bundle: true, minify: true, format: 'esm', target: 'es2022',
  outdir: join(root, 'static', 'js'), metafile: true, logLevel: 'warning',
});
const sizes = Object.entries(result.metafile.outputs).map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KB`);
if (process.argv.includes('--verbose')) console.log(`built ${sizes.join(', ')}`);

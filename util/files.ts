/** Small file-system helpers shared by the sources, the dataset index and the tools. */
import { readdir, rename, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Every regular file under `dir`, relative and `/`-separated, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    // Node 20 names the parent `path`; later versions `parentPath`.
    const parent = (e as unknown as { parentPath?: string }).parentPath ?? (e as unknown as { path: string }).path;
    out.push(relative(dir, join(parent, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** Writes JSON through a temporary file and a rename, so no reader ever sees half a file. */
export async function writeJsonAtomic(path: string, data: unknown, pretty = true): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(data, null, pretty ? 2 : undefined) + '\n');
  await rename(tmp, path);
}

/** Zips a directory of masks (for prediction uploads), streaming to disk. */
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import yazl from 'yazl';

/** Writes `dir`'s files into `zipPath`, under `prefix` (e.g. "" for the root layout). */
export async function zipDirectory(dir: string, zipPath: string, prefix = '', extra: Record<string, string | Buffer> = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join((e as unknown as { parentPath?: string; path: string }).parentPath ?? (e as unknown as { path: string }).path, e.name)).split(sep).join('/'))
    .sort();
  for (const f of files) zip.addFile(join(dir, f), prefix + f);
  for (const [name, content] of Object.entries(extra)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), prefix + name);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipPath);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
    zip.outputStream.on('error', reject);
  });
}

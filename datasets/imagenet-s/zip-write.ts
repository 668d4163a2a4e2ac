/** Zips a directory of masks (for prediction uploads), streaming to disk. */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { listFiles } from '../../util/files.ts';
import yazl from 'yazl';

/** Writes `dir`'s files into `zipPath`, under `prefix` (e.g. "" for the root layout). */
export async function zipDirectory(dir: string, zipPath: string, prefix = '', extra: Record<string, string | Buffer> = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const f of await listFiles(dir)) zip.addFile(join(dir, f), prefix + f);
  for (const [name, content] of Object.entries(extra)) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), prefix + name);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(zipPath);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
    zip.outputStream.on('error', reject);
  });
}

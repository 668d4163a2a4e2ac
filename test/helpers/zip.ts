/** Builds zips for tests, including ones no well-behaved writer would produce. */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import yazl from 'yazl';

/**
 * Writes a zip with `add`, then applies byte-level renames: yazl refuses unsafe names such as
 * `../x`, so a test writes a same-length safe name and patches it afterwards.
 */
export async function craftZip(path: string, add: (z: yazl.ZipFile) => void, rename: [string, string][] = []): Promise<void> {
  const z = new yazl.ZipFile();
  add(z);
  z.end();
  await new Promise<void>((res, rej) => z.outputStream.pipe(createWriteStream(path)).on('close', res).on('error', rej));
  let bytes = readFileSync(path);
  for (const [from, to] of rename) bytes = Buffer.from(bytes.toString('latin1').split(from).join(to), 'latin1');
  writeFileSync(path, bytes);
}

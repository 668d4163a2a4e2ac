/**
 * How a submission's files are laid out, shared by the server's zip reader and the upload page's
 * in-browser check (no Node-only imports): which names are metadata or OS droppings, and the top
 * folder a zip may put the masks under.
 */

/** Files skipped silently: submission metadata. */
export const METADATA = /^(method\.txt|match\.json|readme(\.\w+)?)$/i;
/** OS droppings, skipped silently. */
export const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$|\._)/;

/** The top folder to strip: "" when the names are found at the root, "X/" when all masks sit under X/. */
export function detectTopFolder(paths: string[], names: string[]): string {
  if (paths.length === 0) return '';
  const set = new Set(paths);
  const probe = names.slice(0, 50);
  if (probe.some((n) => set.has(n))) return '';
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/') + 1) : '')));
  if (tops.size === 1) {
    const [top] = tops;
    if (top && probe.some((n) => set.has(top + n))) return top;
  }
  return '';
}

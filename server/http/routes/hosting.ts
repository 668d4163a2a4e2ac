/** Dataset hosting: benchmarks, splits, class lists, names lists, images and public masks. */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { namesListText } from '../../../datasets/imagenet-s/splits.ts';
import { PUBLIC_MASK_SUBSETS, type HostedSplit } from '../../domain/catalogue.ts';
import { Forbidden, InvalidInput, NotFound } from '../../domain/errors.ts';
import type { RouteContext } from './context.ts';

const WNID = /^n\d{8}$/;
const FILE = /^[A-Za-z0-9_.-]{1,200}$/;

export function hostingRoutes({ ctx }: RouteContext): Router {
  const r = Router();
  r.get('/benchmarks', (_req, res) => {
    res.json([...ctx.catalogue.benchmarks.values()].map((b) => ({
      id: b.id, split: b.split.id, protocol: b.protocol, phase: b.phase, classes: b.classes, images: b.masks.length,
      open: !b.closed, ...(b.closed ? { closed: b.closed } : {}),
    })));
  });
  /**
   * What a submission to a benchmark must hold: its masks in names-list order and each one's size
   * (width, height), as the upload page checks a zip before sending it. Names and image sizes are
   * public (the images are); nothing of the masks' content is.
   */
  r.get('/benchmarks/:benchmark/masks', (req, res) => {
    const b = ctx.catalogue.benchmarks.get(String(req.params.benchmark));
    if (!b) throw new NotFound(`unknown benchmark ${JSON.stringify(req.params.benchmark)}`);
    res.set('cache-control', 'public, max-age=3600');
    res.json({ benchmark: b.id, subsetName: `${b.split.name} ${b.phase}`, maxPixels: ctx.maxPixels, masks: b.masks, sizes: b.masks.map((m) => b.sizes.get(m) ?? null) });
  });
  r.get('/splits', (_req, res) => {
    res.json([...ctx.catalogue.splits.values()].map((s) => ({
      id: s.id, name: s.name, classes: s.classes.length,
      subsets: Object.fromEntries(Object.entries(s.index.subsets).map(([k, v]) => [k, { images: v!.images, masks: k === 'test' ? undefined : v!.masks }])),
    })));
  });
  r.get('/splits/:split/classes', (req, res) => {
    res.json([{ id: 0, wnid: null, name: 'other' }, ...splitOf(req).classes]);
  });
  r.get('/splits/:split/:subset/list', (req, res) => {
    const s = splitOf(req);
    const sub = subsetOf(s, req.params.subset);
    if (!sub) throw new NotFound(`no subset ${JSON.stringify(req.params.subset)} in ${s.name}`);
    res.type('text/plain').send(req.params.subset === 'train' ? sub.list.join('\n') : namesListText(sub.list));
  });
  r.get('/splits/:split/:subset/images/:wnid/:file', (req, res, next) => {
    const s = splitOf(req);
    if (!subsetOf(s, req.params.subset)) throw new NotFound('no such subset');
    sendChecked(res, next, join(s.dir, req.params.subset), req.params.wnid, req.params.file, /\.(jpe?g|png)$/i);
  });
  r.get('/splits/:split/:subset/masks/:wnid/:file', (req, res, next) => {
    const s = splitOf(req);
    if (!PUBLIC_MASK_SUBSETS.has(req.params.subset)) throw new Forbidden(`${req.params.subset} masks are private to this server`);
    if (!subsetOf(s, req.params.subset)) throw new NotFound('no such subset');
    sendChecked(res, next, join(s.dir, `${req.params.subset}-segmentation`), req.params.wnid, req.params.file, /\.png$/);
  });
  return r;

  function splitOf(req: Request): HostedSplit {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    if (!s) throw new NotFound(`unknown split ${JSON.stringify(req.params.split)}`);
    return s;
  }
}

/** A subset of a split by its URL name: own properties only (no `__proto__`, `toString`, …). */
function subsetOf(s: HostedSplit, name: string) {
  return Object.hasOwn(s.index.subsets, name) ? s.index.subsets[name as keyof typeof s.index.subsets] : undefined;
}

/** Sends dir/wnid/file after checking both names and that the resolved path stays inside dir. */
function sendChecked(res: Response, next: NextFunction, dir: string, wnid: string, file: string, ext: RegExp): void {
  if (!WNID.test(wnid) || !FILE.test(file) || !ext.test(file) || file.startsWith('.')) throw new InvalidInput('invalid file name');
  const base = resolve(dir);
  const path = resolve(base, wnid, file);
  if (!path.startsWith(base + sep)) throw new InvalidInput('invalid file name');
  if (!existsSync(path)) throw new NotFound('no such file');
  res.sendFile(path, { dotfiles: 'deny', maxAge: '1d' }, (err) => { if (err && !res.headersSent) next(err); });
}

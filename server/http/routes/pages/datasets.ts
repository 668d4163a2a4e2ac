/** Pages: a hosted split (its subsets and classes) and its public masks over their images. */
import { Router } from 'express';
import { join } from 'node:path';
import { z } from 'zod';
import { datasetPage } from '../../../../leaderboard-ui/pages/dataset.ts';
import { PUBLIC_MASK_SUBSETS } from '../../../domain/catalogue.ts';
import { NotFound } from '../../../domain/errors.ts';
import { overlayPng } from '../../../domain/overlay.ts';
import { pc, send, type PageRouteContext } from './common.ts';

const PER_PAGE = 48;

export function datasetPages({ ctx }: PageRouteContext): Router {
  const r = Router();
  r.get('/datasets/:split', (req, res) => {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    if (!s) throw new NotFound(`no split ${JSON.stringify(req.params.split)}`);
    const q = z.object({ subset: z.string().optional(), page: z.coerce.number().int().positive().default(1) }).parse(req.query);
    const subsets = Object.entries(s.index.subsets).map(([name, v]) => ({ name, images: v!.images, masks: PUBLIC_MASK_SUBSETS.has(name) ? v!.masks : name === 'train' ? 0 : null, browsable: PUBLIC_MASK_SUBSETS.has(name) && v!.masks > 0 }));
    let browse = null;
    if (q.subset) {
      const sub = Object.hasOwn(s.index.subsets, q.subset) ? s.index.subsets[q.subset as keyof typeof s.index.subsets] : undefined;
      if (!sub || !PUBLIC_MASK_SUBSETS.has(q.subset)) throw new NotFound(`no public subset ${JSON.stringify(q.subset)} to browse`);
      const pages = Math.max(1, Math.ceil(sub.list.length / PER_PAGE));
      const pageNo = Math.min(q.page, pages);
      browse = { subset: q.subset, items: sub.list.slice((pageNo - 1) * PER_PAGE, pageNo * PER_PAGE), page: pageNo, pages };
    }
    send(res, datasetPage(pc(res), { split: { id: s.id, name: s.name }, subsets, classes: [{ id: 0, wnid: null, name: 'other' }, ...s.classes], browse }));
  });
  r.get('/datasets/:split/:subset/overlay/:wnid/:file', async (req, res) => {
    const s = ctx.catalogue.splits.get(String(req.params.split));
    const subset = String(req.params.subset);
    // test ground truth never leaves the server, not even blended into a picture
    if (!s || !PUBLIC_MASK_SUBSETS.has(subset) || !Object.hasOwn(s.index.subsets, subset)) throw new NotFound('no such image');
    const rel = `${req.params.wnid}/${req.params.file}`;
    if (!/^n\d{8}\/[A-Za-z0-9_.-]{1,200}\.png$/.test(rel) || !s.index.subsets[subset as 'validation']!.list.includes(rel)) throw new NotFound('no such image');
    const image = join(s.dir, subset, rel.replace(/\.png$/, '.JPEG'));
    const body = await overlayPng(image, join(s.dir, `${subset}-segmentation`, rel), join(ctx.dataDir, 'cache', 'overlays'));
    res.type('image/webp').set('cache-control', 'public, max-age=86400').send(body);
  });
  return r;
}

/**
 * Who may see and change a submission: one policy, for every way in (the API and the pages).
 *   - read: its owner and admins always; anyone else while it is on its board (scored, neither
 *     hidden nor private). Its per-class results on a private-GT phase only for its owner and
 *     admins, unless the host made them public (TEST_DETAIL=public); its warnings and problems
 *     only for its owner and admins.
 *   - change (edit, cancel): its owner.
 *   - administer (hide, flag, re-score, delete): admins.
 * What a viewer may not read is "not found", never "forbidden", so ids cannot be probed.
 */
import type { AuthUser } from './auth.ts';
import type { Catalogue } from './catalogue.ts';
import { Forbidden, NotFound } from './errors.ts';
import type { Queries, SubmissionRow } from '../storage/queries.ts';
import { submissionView, type SubmitContext } from './submissions.ts';
import { modelDownloadUrl, predictionsDownloadUrl } from './models.ts';
import type { SubmissionView } from '../../leaderboard-ui/views.ts';

export interface AccessContext { q: Queries; catalogue: Catalogue; testDetail: 'owner' | 'public' }
export type Viewer = AuthUser | null | undefined;

/** A submission the viewer may read, and how much of it. */
export interface Readable { s: SubmissionRow; own: boolean; perClass: boolean }

export function readSubmission(ctx: AccessContext, viewer: Viewer, id: number): Readable {
  const s = ctx.q.submission(id);
  if (!s) throw new NotFound(`no submission ${id}`);
  const own = !!viewer && (viewer.id === s.user_id || viewer.isAdmin);
  const onBoard = s.hidden === 0 && s.private === 0 && ['finished', 'queued', 'scoring'].includes(s.status) && !!ctx.q.latestScore(s.id);
  if (!own && !onBoard) throw new NotFound(`no submission ${id}`);
  const b = ctx.catalogue.benchmarks.get(s.benchmark);
  return { s, own, perClass: own || !b?.gtPrivate || ctx.testDetail === 'public' };
}

/** A submission its viewer owns (to edit or cancel). */
export function ownSubmission(ctx: AccessContext, viewer: Viewer, id: number): SubmissionRow {
  const s = ctx.q.submission(id);
  if (!s || !viewer || s.user_id !== viewer.id) throw new NotFound(`no submission ${id}`);
  return s;
}

/** Any submission, for an admin. */
export function administerSubmission(ctx: AccessContext, viewer: Viewer, id: number): SubmissionRow {
  if (!viewer?.isAdmin) throw new Forbidden('admin only');
  const s = ctx.q.submission(id);
  if (!s) throw new NotFound(`no submission ${id}`);
  return s;
}

/** A submitted model's bundle: its owner's and admins', and anyone's once its owner published it (and its row is readable). */
export function mayDownloadModel(viewer: Viewer, s: SubmissionRow): boolean {
  return !!s.model_file && (s.model_public === 1 || (!!viewer && (viewer.id === s.user_id || viewer.isAdmin)));
}

/** The view of a submission a viewer may read, with what they may not see left out, and its row. */
export function readableView(ctx: AccessContext & SubmitContext, viewer: Viewer, id: number): { view: SubmissionView & { owner: boolean }; s: SubmissionRow } {
  const { s, own, perClass } = readSubmission(ctx, viewer, id);
  const view = submissionView(ctx, s);
  if (!perClass) delete view.classes;
  if (!own) { view.warnings = []; delete view.problems; delete view.error; }
  if (view.model && mayDownloadModel(viewer, s)) {
    view.model.download_url = modelDownloadUrl(s.id);
    if (s.model_state === 'ran') view.model.predictions_url = predictionsDownloadUrl(s.id);
  }
  return { view: { ...view, owner: !!viewer && viewer.id === s.user_id }, s };
}

export function submissionViewFor(ctx: AccessContext & SubmitContext, viewer: Viewer, id: number): SubmissionView & { owner: boolean } {
  return readableView(ctx, viewer, id).view;
}

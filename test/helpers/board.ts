/**
 * A big board without scoring hundreds of zips: copies of one scored submission, each under its
 * own account, its metrics and resamples shifted by a different amount (so the order and the rank
 * intervals are those of distinct entries). For tests and the bench of board views.
 */
import type { Db } from '../../server/storage/db.ts';

export function fillBoard(db: Db, from: number, entries: number, prefix = 'board'): void {
  const s = db.prepare('SELECT * FROM submissions WHERE id = ?').get(from) as Record<string, unknown>;
  const sc = db.prepare('SELECT * FROM scores WHERE submission_id = ? ORDER BY id DESC LIMIT 1').get(from) as { id: number; evaluator_version: string; record: string };
  const smp = db.prepare('SELECT * FROM score_samples WHERE score_id = ?').get(sc.id) as { seed: string; b: number; samples: Buffer };
  const values = new Float64Array(smp.samples.buffer.slice(smp.samples.byteOffset, smp.samples.byteOffset + smp.samples.byteLength));
  const cols = Object.keys(s).filter((c) => c !== 'id' && c !== 'user_id');
  const addUser = db.prepare('INSERT INTO users (name, is_admin, created_at) VALUES (?, 0, ?)');
  const addSub = db.prepare(`INSERT INTO submissions (user_id, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')})`);
  const addScore = db.prepare('INSERT INTO scores (submission_id, evaluator_version, record, created_at) VALUES (?, ?, ?, ?)');
  const addSamples = db.prepare('INSERT INTO score_samples (score_id, seed, b, samples) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < entries; i++) {
      // a shift per entry, some above and some below the original, never two the same
      const shift = ((i * 7919) % entries) / entries - 0.5;
      const user = addUser.run(`${prefix}${i}`, new Date().toISOString()).lastInsertRowid;
      const sub = addSub.run(user, ...cols.map((c) => (c === 'method' ? `method ${i}` : s[c]))).lastInsertRowid;
      const record = JSON.parse(sc.record);
      for (const [k, v] of Object.entries(record.metrics)) if (typeof v === 'number') record.metrics[k] = v + shift;
      const score = addScore.run(sub, sc.evaluator_version, JSON.stringify(record), new Date().toISOString()).lastInsertRowid;
      const shifted = values.map((v) => v + shift + ((i * 31) % 17) * 1e-3 * Math.sin(v));
      addSamples.run(score, smp.seed, smp.b, Buffer.from(shifted.buffer));
    }
  })();
}

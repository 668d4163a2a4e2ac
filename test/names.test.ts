import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamesList, splitLines } from '../evaluator/input/names.ts';

test('splits lines like Python splitlines(): all line breaks, no extra entry for a trailing newline', () => {
  assert.deepEqual(splitLines('a\nb\r\nc\rd\u2028e\x85f\n'), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('a\n\nb'), ['a', '', 'b']);
});

test('takes the second column, keeps duplicates, reports every malformed or unsafe line', () => {
  const ok = parseNamesList('w/a.JPEG w/a.png\nw/b.JPEG w/b.png\nw/a.JPEG w/a.png');
  assert.deepEqual(ok.masks, ['w/a.png', 'w/b.png', 'w/a.png']);
  assert.deepEqual(ok.problems, []);
  const bad = parseNamesList('w/a.JPEG w/a.png\n\nonecolumn\nx  w/c.png\nx /etc/passwd\nx w/../../secret.png', 'list.txt');
  assert.deepEqual(bad.problems.map((p) => [p.file, p.code]), [['list.txt:2', 'names-no-mask-column'], ['list.txt:3', 'names-no-mask-column'], ['list.txt:4', 'names-bad-path'], ['list.txt:5', 'names-bad-path'], ['list.txt:6', 'names-bad-path']]);
  assert.deepEqual(bad.masks, ['w/a.png']);
  assert.equal(parseNamesList('').problems[0].code, 'names-empty');
});

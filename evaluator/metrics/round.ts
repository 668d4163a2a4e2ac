/** Round half to even, as Python's round() and numpy's np.round do (the official code uses both). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  return frac > 0.5 ? f + 1 : frac < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

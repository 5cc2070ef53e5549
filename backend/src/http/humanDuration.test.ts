import { ageCell, humanDuration } from './humanDuration';

describe('humanDuration renders ages as kube-apiserver does', () => {
  const S = 1000;
  const M = 60 * S;
  const H = 60 * M;
  const D = 24 * H;
  it.each([
    [-5 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 20 * S, '3m20s'],
    [15 * M, '15m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 10 * M, '5h10m'],
    [30 * H, '30h'],
    [3 * D + 4 * H, '3d4h'],
    [4 * D, '4d'],
    [100 * D, '100d'],
    [800 * D, '2y70d'],
    [3000 * D, '8y'],
  ])('%d ms → %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  it('marks missing and unparsable timestamps', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    expect(ageCell(undefined, now)).toBe('<unknown>');
    expect(ageCell('yesterday', now)).toBe('<invalid>');
    expect(ageCell('2026-01-01T00:00:00Z', now)).toBe('10m');
  });
});

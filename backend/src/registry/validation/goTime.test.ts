import { goTimeError } from './goTime';

// Messages as kube-apiserver 1.32.13 printed them for Lease.spec.renewTime (MicroTime).
describe('goTimeError', () => {
  it.each([
    ['2020-01-01T00:00:00.123456Z', 'MicroTime', undefined],
    ['2020-01-01T00:00:00.123456+02:00', 'MicroTime', undefined],
    [
      'yesterday',
      'MicroTime',
      'parsing time "yesterday" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "yesterday" as "2006"',
    ],
    [
      '2020-01-01T00:00:00Z',
      'MicroTime',
      'parsing time "2020-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    ],
    [
      '2020-13-01T00:00:00.000000Z',
      'MicroTime',
      'parsing time "2020-13-01T00:00:00.000000Z": month out of range',
    ],
    [
      '2020-01-01 00:00:00.000000Z',
      'MicroTime',
      'parsing time "2020-01-01 00:00:00.000000Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse " 00:00:00.000000Z" as "T"',
    ],
    ['2020-01-01T00:00:00Z', 'Time', undefined],
    ['2020-01-01T00:00:00.5Z', 'Time', undefined],
  ] as const)('%s as %s', (value, layout, expected) => {
    expect(goTimeError(value, layout)).toBe(expected);
  });
});

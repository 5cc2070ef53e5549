import { at, tableCells } from './case';

describe('tableCells', () => {
  it('cuts rows at the header columns, keeping empty cells in place', () => {
    const text = [
      'NAME      SHORTNAMES   APIVERSION               NAMESPACED   KIND',
      'leases                 coordination.k8s.io/v1   true         Lease',
      'devices   wdev         wasmbed.io/v1alpha1      true         Device',
      '',
    ].join('\n');
    expect(tableCells(text)).toEqual([
      ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'],
      ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease'],
      ['devices', 'wdev', 'wasmbed.io/v1alpha1', 'true', 'Device'],
    ]);
  });

  it('keeps a header of two words (LAST SEEN) as one column', () => {
    expect(tableCells('LAST SEEN   TYPE\n5s          Normal\n')).toEqual([
      ['LAST SEEN', 'TYPE'],
      ['5s', 'Normal'],
    ]);
  });

  it('splits at runs of spaces without headers', () => {
    expect(tableCells('d1   mps2-an385   3s\n', false)).toEqual([['d1', 'mps2-an385', '3s']]);
  });
});

describe('at', () => {
  it('follows dotted paths through objects and arrays, undefined when absent', () => {
    expect(at({ a: { b: [{ c: 1 }] } }, 'a.b.0.c')).toBe(1);
    expect(at({ a: 1 }, 'a.b.c')).toBeUndefined();
  });
});

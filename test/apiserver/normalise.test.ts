import { describeDivergences, diverge } from './compare';
import { normalise } from './normalise';

describe('normalise', () => {
  it('numbers uids and resourceVersions by first appearance, keeping equal values equal', () => {
    const out = normalise('c', {
      a: { metadata: { uid: 'u-1', resourceVersion: '900' } },
      b: { metadata: { uid: 'u-2', resourceVersion: '905' } },
      c: { metadata: { uid: 'u-1', resourceVersion: '900' } },
    });
    expect(out).toEqual({
      a: { metadata: { uid: '<uid:1>', resourceVersion: '<rv:1>' } },
      b: { metadata: { uid: '<uid:2>', resourceVersion: '<rv:2>' } },
      c: { metadata: { uid: '<uid:1>', resourceVersion: '<rv:1>' } },
    });
  });

  it("replaces a list's resourceVersion but not its items'", () => {
    const out = normalise('c', {
      metadata: { resourceVersion: '77' },
      items: [{ metadata: { resourceVersion: '70' } }],
    });
    expect(out).toEqual({
      metadata: { resourceVersion: '<list-rv>' },
      items: [{ metadata: { resourceVersion: '<rv:1>' } }],
    });
  });

  it('replaces times, uuids in text and the server address, and nothing else', () => {
    const uid = '0b6a3c2e-5d8f-4a1b-9c7d-2e4f6a8b0c1d';
    const out = normalise('c', {
      metadata: { uid, creationTimestamp: '2026-11-29T19:00:00Z' },
      message: `Precondition failed: UID in precondition: x, UID in object meta: ${uid}`,
      stderr: 'The connection to the server https://127.0.0.1:40123 was refused',
      board: 'mps2-an385',
      count: 3,
    });
    expect(out).toEqual({
      metadata: { uid: '<uid:1>', creationTimestamp: '<time>' },
      message: 'Precondition failed: UID in precondition: x, UID in object meta: <uid:1>',
      stderr: 'The connection to the server <server> was refused',
      board: 'mps2-an385',
      count: 3,
    });
  });

  it('replaces Age cells only in tables', () => {
    expect(normalise('c', { table: [['d1', '5s']], text: '5s' })).toEqual({
      table: [['d1', '<age>']],
      text: '5s',
    });
  });

  it('compares managedFields sorted by operation and manager', () => {
    const entry = (manager: string, operation: string) => ({
      manager,
      operation,
      time: '2026-11-29T19:00:00Z',
    });
    expect(
      normalise('c', {
        managedFields: [entry('b', 'Apply'), entry('x', 'Update'), entry('a', 'Apply')],
      }),
    ).toEqual({
      managedFields: [
        { manager: 'a', operation: 'Apply', time: '<time>' },
        { manager: 'b', operation: 'Apply', time: '<time>' },
        { manager: 'x', operation: 'Update', time: '<time>' },
      ],
    });
  });
});

describe('diverge', () => {
  it('finds nothing between equal observations', () => {
    expect(diverge({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toEqual([]);
  });

  it('names the path of each difference, including absent keys and extra items', () => {
    const ds = diverge(
      { code: 409, causes: [{ field: 'spec.board' }] },
      { code: 422, causes: [{ field: 'spec.board' }, { field: 'x' }], extra: true },
    );
    expect(ds).toEqual([
      { path: 'causes[1]', kube: undefined, embedded: { field: 'x' } },
      { path: 'code', kube: 409, embedded: 422 },
      { path: 'extra', kube: undefined, embedded: true },
    ]);
    expect(describeDivergences(ds)).toContain('code: kube=409 embedded=422');
  });
});

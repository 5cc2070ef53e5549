import fc from 'fast-check';
import { ApiError } from '../types';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  defaultFieldManager,
} from './index';

const json = fc.jsonValue({ maxDepth: 4 });
const object = fc.dictionary(fc.string({ maxLength: 6 }), json, { maxKeys: 6 });

function statusOf(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError)
      return { code: e.code, reason: e.status.reason, message: e.status.message };
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('applyMergePatch (RFC 7386)', () => {
  it('merges maps, deletes on null, replaces lists', () => {
    const target = { a: 1, m: { x: 1, y: 2 }, l: [1, 2], gone: true };
    expect(
      applyMergePatch(target, { m: { y: null, z: 3 }, l: [3], gone: null, n: { k: null } }),
    ).toEqual({ a: 1, m: { x: 1, z: 3 }, l: [3], n: {} });
    expect(target).toEqual({ a: 1, m: { x: 1, y: 2 }, l: [1, 2], gone: true });
  });

  it('keeps a key named __proto__ as data, never as a prototype', () => {
    const out = applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}')) as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses a null or non-object patch with kube-apiserver 1.32's 400 answers", () => {
    expect(statusOf(() => applyMergePatch({}, null))).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'Invalid JSON Patch',
    });
    expect(statusOf(() => applyMergePatch({}, 1))).toEqual({
      code: 400,
      reason: 'BadRequest',
      message:
        'error decoding patch: json: cannot unmarshal number into Go value of type map[string]interface {}',
    });
    expect(statusOf(() => applyMergePatch({}, [1])).message).toBe(
      'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
    // fieldValidation=Ignore skips the map decode: a scalar is then the library's refusal.
    expect(statusOf(() => applyMergePatch({}, 'x', { fieldValidation: 'Ignore' })).message).toBe(
      'Invalid JSON Patch',
    );
    expect(applyMergePatch({}, [1, null], { fieldValidation: 'Ignore' })).toEqual([1, null]);
  });

  it('is idempotent: patching twice is patching once', () => {
    fc.assert(
      fc.property(object, object, (t, p) => {
        const once = applyMergePatch(t, p);
        expect(applyMergePatch(once, p)).toEqual(once);
      }),
    );
  });

  it('an object patch sets every non-null key it names to its null-free value', () => {
    fc.assert(
      fc.property(object, object, (t, p) => {
        const out = applyMergePatch(t, p) as Record<string, unknown>;
        for (const [k, v] of Object.entries(p)) {
          if (v === null) expect(Object.prototype.hasOwnProperty.call(out, k)).toBe(false);
          else if (typeof v !== 'object') expect(out[k]).toEqual(v);
        }
      }),
    );
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const doc = { spec: { board: 'mps2-an385', 'a/b': 1, 't~': 2 }, list: ['x', 'y'] };

  it('applies add, remove, replace, move, copy and test with pointer escapes', () => {
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/spec/board', value: 'mps2-an385' },
      { op: 'replace', path: '/spec/board', value: 'nrf52840-dk' },
      { op: 'remove', path: '/spec/a~1b' },
      { op: 'move', from: '/spec/t~0', path: '/spec/moved' },
      { op: 'add', path: '/list/-', value: 'z' },
      { op: 'add', path: '/list/0', value: 'first' },
      { op: 'copy', from: '/list', path: '/copy' },
      { op: 'remove', path: '/list/-1' },
    ]);
    expect(out).toEqual({
      spec: { board: 'nrf52840-dk', moved: 2 },
      list: ['first', 'x', 'y'],
      copy: ['first', 'x', 'y', 'z'],
    });
    expect(doc.list).toEqual(['x', 'y']);
  });

  it.each([
    ['a failed test', [{ op: 'test', path: '/spec/board', value: 'other' }]],
    ['a missing path', [{ op: 'remove', path: '/spec/nothing' }]],
    ['replace of a missing key', [{ op: 'replace', path: '/nothing', value: 1 }]],
    ['add under a missing parent', [{ op: 'add', path: '/a/b/c', value: 1 }]],
    ['an index out of range', [{ op: 'add', path: '/list/5', value: 1 }]],
    ['an unknown op', [{ op: 'frobnicate', path: '/spec' }]],
    ['no path', [{ op: 'add', value: 1 }]],
  ])('%s is kube 422 Invalid with its fixed message', (_name, ops) => {
    expect(statusOf(() => applyJsonPatch(doc, ops))).toEqual({
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
    });
  });

  it('a body that is not a list of operations is 400 with the Go decoder message', () => {
    expect(statusOf(() => applyJsonPatch(doc, { op: 'add' }))).toEqual({
      code: 400,
      reason: 'BadRequest',
      message:
        'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    });
    expect(statusOf(() => applyJsonPatch(doc, [1])).message).toBe(
      'error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp',
    );
    expect(
      statusOf(() => applyJsonPatch(doc, { op: 'add' }, { fieldValidation: 'Ignore' })),
    ).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    expect(applyJsonPatch(doc, null)).toEqual(doc);
  });

  it('an unknown operation field is a warning, or with Strict a 422 naming the patched object', () => {
    const ops = [{ op: 'test', path: '/spec/board', value: 'mps2-an385', extra: 1 }];
    const warnings: string[] = [];
    expect(applyJsonPatch(doc, ops, { warnings })).toEqual(doc);
    expect(warnings).toEqual(['json patch unknown field "[0].extra"']);
    const e = statusOf(() =>
      applyJsonPatch(
        { b: '<&>', a: 1 },
        ops.map(o => ({ ...o, path: '/a', value: 1 })),
        {
          fieldValidation: 'Strict',
        },
      ),
    );
    expect(e).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        ' "" is invalid: patch: Invalid value: "{\\"a\\":1,\\"b\\":\\"\\\\u003c\\\\u0026\\\\u003e\\"}": strict decoding error: json patch unknown field "[0].extra"',
    });
  });

  it('refuses more than 10,000 operations (413) and unbounded copies (422)', () => {
    const many = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/spec', value: null }));
    expect(statusOf(() => applyJsonPatch(doc, many)).code).toBe(413);
    const doubling = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/-' }));
    expect(statusOf(() => applyJsonPatch({ a: ['xxxxxxxx'] }, doubling)).code).toBe(422);
  });

  it('add then remove of a new key is the identity (round trip)', () => {
    fc.assert(
      fc.property(object, fc.string({ maxLength: 6 }), json, (t, key, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(t, key));
        const path = `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const added = applyJsonPatch(t, [{ op: 'add', path, value }]);
        expect(applyJsonPatch(added, [{ op: 'test', path, value }])).toEqual(added);
        expect(applyJsonPatch(added, [{ op: 'remove', path }])).toEqual(t);
      }),
    );
  });
});

describe('applyStrategicMergePatch', () => {
  const ns = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      labels: { a: '1', b: '2' },
      finalizers: ['x', 'y'],
      ownerReferences: [
        { uid: 'u1', name: 'one' },
        { uid: 'u2', name: 'two' },
      ],
    },
    data: { k: 'v' },
  };

  it('merges maps, deletes on null, merges finalizers as a set and ownerReferences by uid', () => {
    const out = applyStrategicMergePatch(
      ns,
      {
        metadata: {
          labels: { b: null, c: '3' },
          finalizers: ['z', 'x'],
          ownerReferences: [
            { uid: 'u2', name: 'TWO' },
            { uid: 'u3', name: 'three' },
          ],
        },
        data: { k2: 'v2' },
      },
      'ConfigMap',
    ) as typeof ns;
    expect(out.metadata.labels).toEqual({ a: '1', c: '3' });
    expect(out.metadata.finalizers).toEqual(['x', 'y', 'z']);
    expect(out.metadata.ownerReferences).toEqual([
      { uid: 'u1', name: 'one' },
      { uid: 'u2', name: 'TWO' },
      { uid: 'u3', name: 'three' },
    ]);
    expect(out.data).toEqual({ k: 'v', k2: 'v2' });
  });

  it('understands $patch, $deleteFromPrimitiveList, $setElementOrder and $retainKeys', () => {
    const out = applyStrategicMergePatch(
      ns,
      {
        metadata: {
          labels: { $patch: 'replace', only: 'this' },
          '$deleteFromPrimitiveList/finalizers': ['x'],
          '$setElementOrder/ownerReferences': [{ uid: 'u2' }, { uid: 'u1' }],
          ownerReferences: [{ uid: 'u1', $patch: 'delete' }],
        },
        data: { $retainKeys: ['k3'], k3: 'v3' },
      },
      'ConfigMap',
    ) as typeof ns;
    expect(out.metadata.labels).toEqual({ only: 'this' });
    expect(out.metadata.finalizers).toEqual(['y']);
    expect(out.metadata.ownerReferences).toEqual([{ uid: 'u2', name: 'two' }]);
    expect(out.data).toEqual({ k3: 'v3' });
  });

  it('replaces a list without a merge strategy and a list with a $patch: replace element', () => {
    const nsObj = {
      kind: 'Namespace',
      spec: { finalizers: ['kubernetes'] },
      metadata: { ownerReferences: [{ uid: 'u1' }] },
    };
    const out = applyStrategicMergePatch(
      nsObj,
      {
        spec: { finalizers: ['other'] },
        metadata: { ownerReferences: [{ $patch: 'replace' }, { uid: 'u2' }] },
      },
      'Namespace',
    );
    expect(out).toEqual({
      kind: 'Namespace',
      spec: { finalizers: ['other'] },
      metadata: { ownerReferences: [{ uid: 'u2' }] },
    });
  });

  it('refuses what kube-apiserver 1.32 refuses, with its messages', () => {
    // Elements of different types in a merged list (a directive among scalars included).
    expect(
      statusOf(() =>
        applyStrategicMergePatch(
          ns,
          { metadata: { finalizers: [{ $patch: 'replace' }, 'b'] } },
          'ConfigMap',
        ),
      ),
    ).toEqual({
      code: 500,
      reason: undefined,
      message: 'list element types are not identical: [[x y] [map[$patch:replace] b]]',
    });
    expect(
      statusOf(() =>
        applyStrategicMergePatch(
          ns,
          { metadata: { ownerReferences: [{ name: 'n' }] } },
          'ConfigMap',
        ),
      ).message,
    ).toBe('map: map[name:n] does not contain declared merge key: uid');
    expect(
      statusOf(() =>
        applyStrategicMergePatch(
          ns,
          { metadata: { '$setElementOrder/finalizers': ['y'], finalizers: ['z'] } },
          'ConfigMap',
        ),
      ).message,
    ).toBe("The order in patch list:\n[z]\n doesn't match $setElementOrder list:\n[y]\n");
    expect(
      statusOf(() => applyStrategicMergePatch(ns, { data: { $patch: 'bogus' } }, 'ConfigMap'))
        .message,
    ).toBe('unknown patch type: bogus in map: map[$patch:bogus]');
    expect(statusOf(() => applyStrategicMergePatch(ns, [1], 'ConfigMap'))).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal array into Go value of type map[string]interface {}',
    });
    expect(applyStrategicMergePatch(ns, null, 'ConfigMap')).toEqual(ns);
  });

  it('orders by $setElementOrder, keeping server-only elements next to those they followed', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c'] } };
    const out = applyStrategicMergePatch(
      live,
      { metadata: { '$setElementOrder/finalizers': ['c', 'a', 'd'], finalizers: ['a', 'd'] } },
      'ConfigMap',
    ) as typeof live;
    expect(out.metadata.finalizers).toEqual(['b', 'c', 'a', 'd']);
  });

  it('is refused for custom resources with kube 415 UnsupportedMediaType', () => {
    expect(statusOf(() => applyStrategicMergePatch({}, {}, 'Device'))).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
    });
  });
});

describe('hostile nesting', () => {
  const deep = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  const refusal = {
    code: 400,
    reason: 'BadRequest',
    message: "error decoding patch: invalid character '{' exceeded max depth",
  };

  it("refuses patches nested too deep with kube's decoder message, not a stack overflow", () => {
    expect(statusOf(() => applyMergePatch({}, deep(50_000)))).toEqual(refusal);
    expect(statusOf(() => applyStrategicMergePatch({}, deep(50_000), 'ConfigMap'))).toEqual(
      refusal,
    );
    expect(
      statusOf(() => applyJsonPatch({}, [{ op: 'add', path: '/a', value: deep(50_000) }])),
    ).toEqual(refusal);
    expect(applyMergePatch({}, deep(999))).toEqual(deep(999));
  });

  it('applies a merge patch nested 5,000 deep, as kube (its decoder allows 10,000)', () => {
    let patch: unknown = { a: 1, gone: null };
    for (let i = 0; i < 5000; i++) patch = { a: patch, list: [{ x: null, y: 2 }] };
    const patched = applyMergePatch({ keep: true, a: { b: 1 } }, patch) as Record<string, unknown>;
    expect(Object.keys(patched)).toEqual(['keep', 'a', 'list']);
    expect((patched.a as Record<string, unknown>).b).toBe(1);
    let level = patched as Record<string, unknown>;
    let depth = 0;
    for (; typeof level.a === 'object'; depth++) {
      expect(level.list).toEqual([{ y: 2 }]);
      level = level.a as Record<string, unknown>;
    }
    expect([depth, level]).toEqual([5000, { a: 1 }]);
  });

  it('applies a JSON patch whose value nests 5,000 deep, as kube (its decoder allows 10,000)', () => {
    const value = deep(5000);
    const ops = [{ op: 'add', path: '/a', value }];
    const patched = applyJsonPatch({ b: 1 }, ops) as { a: unknown; b: number };
    expect(patched.b).toBe(1);
    // Compared by walking the chain: toEqual and JSON.stringify recurse too deep for jest's stack.
    let level: unknown = patched.a;
    let depth = 0;
    for (; typeof level === 'object' && level !== null; depth++)
      level = (level as { a: unknown }).a;
    expect([depth, level]).toEqual([5000, 1]);
    expect(patched.a).not.toBe(value); // a copy: a retried patch starts from the same operations
    expect(
      statusOf(() => applyJsonPatch({}, [{ op: 'add', path: '/a', value: deep(10_001) }])),
    ).toEqual(refusal);
  });

  it('refuses a document that JSON patch moves nest beyond 10,000 levels, short of the stack', () => {
    const ops: unknown[] = [{ op: 'add', path: '/n0', value: deep(9000) }];
    for (let i = 1; i < 1500; i++) {
      ops.push(
        { op: 'add', path: `/n${i}`, value: {} },
        { op: 'move', from: `/n${i - 1}`, path: `/n${i}/c` },
      );
    }
    expect(statusOf(() => applyJsonPatch({}, ops))).toEqual(refusal);
  });
});

describe('defaultFieldManager', () => {
  it('takes the user agent up to the first slash, printable only, at most 128 bytes', () => {
    expect(defaultFieldManager('kubectl/v1.32.13 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(defaultFieldManager('node-fetch')).toBe('node-fetch');
    expect(defaultFieldManager('a\u0007b/1')).toBe('ab');
    expect(defaultFieldManager('x'.repeat(200))).toBe('x'.repeat(128));
    expect(defaultFieldManager(undefined)).toBe('');
  });
});

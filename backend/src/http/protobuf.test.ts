import { decodeProtobufObject, ProtobufError } from './protobuf';

/** A tiny protobuf writer for the test: varint and length-delimited fields only. */
const varint = (n: number): Buffer => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
};
const bytes = (field: number, value: Buffer | string) => {
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};
const num = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);
const entry = (field: number, key: string, value: Buffer | string) =>
  bytes(field, Buffer.concat([bytes(1, key), bytes(2, value)]));
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    bytes(1, Buffer.concat([bytes(1, apiVersion), bytes(2, kind)])),
    bytes(2, raw),
    bytes(3, ''),
    bytes(4, ''),
  ]);

describe('Kubernetes protobuf bodies (what kubectl create configmap/secret/namespace sends)', () => {
  // Go's zero time, as a typed client encodes an unset creationTimestamp.
  const zeroTime = bytes(8, num(1, -62135596800));
  const meta = bytes(
    1,
    Buffer.concat([bytes(1, 'c1'), zeroTime, entry(11, 'app', 'x'), bytes(14, 'f1')]),
  );

  it('decodes a ConfigMap with data, binaryData and metadata', () => {
    const raw = Buffer.concat([
      meta,
      entry(2, 'k', 'v'),
      entry(3, 'b', Buffer.from([0, 1])),
      num(4, 1),
    ]);
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c1', labels: { app: 'x' }, finalizers: ['f1'] },
      data: { k: 'v' },
      binaryData: { b: 'AAE=' },
      immutable: true,
    });
  });

  it('decodes a Secret (data as base64, type) and a Namespace', () => {
    const secret = Buffer.concat([meta, entry(2, 'a', 'b'), bytes(3, 'Opaque')]);
    expect(decodeProtobufObject(envelope('v1', 'Secret', secret))).toMatchObject({
      kind: 'Secret',
      type: 'Opaque',
      data: { a: 'Yg==' },
    });
    const ns = Buffer.concat([meta, bytes(2, Buffer.alloc(0)), bytes(3, Buffer.alloc(0))]);
    expect(decodeProtobufObject(envelope('v1', 'Namespace', ns))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'c1', labels: { app: 'x' }, finalizers: ['f1'] },
      spec: {},
      status: {},
    });
    // kubectl create namespace sends the empty phase as a present field: Go's JSON omits it.
    const emptyPhase = Buffer.concat([meta, bytes(2, Buffer.alloc(0)), bytes(3, bytes(1, ''))]);
    expect(decodeProtobufObject(envelope('v1', 'Namespace', emptyPhase))).toMatchObject({
      status: {},
    });
    const terminating = Buffer.concat([meta, bytes(3, bytes(1, 'Terminating'))]);
    expect(decodeProtobufObject(envelope('v1', 'Namespace', terminating))).toMatchObject({
      status: { phase: 'Terminating' },
    });
  });

  it('decodes a SelfSubjectAccessReview (kubectl auth can-i)', () => {
    const attrs = Buffer.concat([
      bytes(1, 'default'),
      bytes(2, 'patch'),
      bytes(3, 'wasmbed.io'),
      bytes(5, 'gateways'),
      bytes(6, 'status'),
      bytes(7, 'gw-a'),
    ]);
    const raw = Buffer.concat([
      bytes(1, Buffer.alloc(0)),
      bytes(2, bytes(1, attrs)),
      bytes(3, Buffer.alloc(0)),
    ]);
    expect(
      decodeProtobufObject(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', raw)),
    ).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          namespace: 'default',
          verb: 'patch',
          group: 'wasmbed.io',
          resource: 'gateways',
          subresource: 'status',
          name: 'gw-a',
        },
      },
    });
  });

  it('leaves other kinds undecoded and refuses what is not the envelope', () => {
    expect(decodeProtobufObject(envelope('v1', 'Pod', Buffer.alloc(0)))).toBeUndefined();
    expect(() => decodeProtobufObject(Buffer.from('{"kind":"ConfigMap"}'))).toThrow(ProtobufError);
    expect(() =>
      decodeProtobufObject(
        Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x12, 0x7f])]),
      ),
    ).toThrow(/truncated/);
  });
});

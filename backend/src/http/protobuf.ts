/**
 * Reads the Kubernetes protobuf encoding of the few bodies kubectl sends that way: typed
 * generators (`kubectl create configmap|secret|namespace`) POST protobuf, not JSON. The
 * server answers in JSON (those clients accept it); this only turns such a body into the
 * JSON object kube's decoder would have produced. The wire format: the magic "k8s\0", then a
 * runtime.Unknown {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3,
 * contentType = 4}, raw being the object's own message (field numbers of k8s.io/api's
 * generated.proto). Anything else is not decoded (the caller answers 415).
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

export class ProtobufError extends Error {}

interface Field {
  number: number;
  wire: number;
  value: bigint | Buffer;
}

/** The fields of one message, in order (repeated fields appear repeatedly). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= buf.length) throw new ProtobufError('truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new ProtobufError('varint too long');
  };
  while (pos < buf.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (len < 0 || pos + len > buf.length) throw new ProtobufError('truncated field');
      out.push({ number, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new ProtobufError('truncated field');
  }
  return out;
}

const bytesOf = (f: Field): Buffer => {
  if (!Buffer.isBuffer(f.value))
    throw new ProtobufError(`field ${f.number} is not length-delimited`);
  return f.value;
};
const str = (f: Field) => bytesOf(f).toString('utf8');
const int = (f: Field): number => {
  if (Buffer.isBuffer(f.value)) throw new ProtobufError(`field ${f.number} is not a varint`);
  return Number(BigInt.asIntN(64, f.value));
};

function mapEntry(f: Field, value: (v: Field) => unknown): [string, unknown] {
  let key = '';
  let val: unknown = '';
  for (const e of fields(bytesOf(f))) {
    if (e.number === 1) key = str(e);
    if (e.number === 2) val = value(e);
  }
  return [key, val];
}

/** metav1.Time {seconds = 1, nanos = 2}; Go's zero time (year 1) is no time at all. */
function time(f: Field): string | undefined {
  let seconds = 0;
  for (const e of fields(bytesOf(f))) if (e.number === 1) seconds = int(e);
  if (seconds <= -62135596800) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const finalizers: string[] = [];
  const owners: Record<string, unknown>[] = [];
  const names = ['', 'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion'];
  for (const f of fields(buf)) {
    if (f.number >= 1 && f.number <= 6) meta[names[f.number]!] = str(f);
    else if (f.number === 7) meta.generation = int(f);
    else if (f.number === 8 || f.number === 9) {
      const t = time(f);
      if (t) meta[f.number === 8 ? 'creationTimestamp' : 'deletionTimestamp'] = t;
    } else if (f.number === 10) meta.deletionGracePeriodSeconds = int(f);
    else if (f.number === 11 || f.number === 12) {
      const [k, v] = mapEntry(f, str);
      (f.number === 11 ? labels : annotations)[k] = v as string;
    } else if (f.number === 13) {
      const owner: Record<string, unknown> = {};
      for (const e of fields(bytesOf(f))) {
        if (e.number === 1) owner.kind = str(e);
        if (e.number === 3) owner.name = str(e);
        if (e.number === 4) owner.uid = str(e);
        if (e.number === 5) owner.apiVersion = str(e);
        if (e.number === 6) owner.controller = int(e) !== 0;
        if (e.number === 7) owner.blockOwnerDeletion = int(e) !== 0;
      }
      owners.push(owner);
    } else if (f.number === 14) finalizers.push(str(f));
  }
  for (const k of Object.keys(meta)) if (meta[k] === '') delete meta[k];
  if (Object.keys(labels).length) meta.labels = labels;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  if (finalizers.length) meta.finalizers = finalizers;
  if (owners.length) meta.ownerReferences = owners;
  return meta;
}

type Decoder = (buf: Buffer) => Record<string, unknown>;

/** The built-in kinds kubectl's typed generators create, by their message layout. */
const DECODERS: Record<string, Decoder> = {
  'v1/ConfigMap': buf => {
    const out: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const binaryData: Record<string, string> = {};
    for (const f of fields(buf)) {
      if (f.number === 1) out.metadata = objectMeta(bytesOf(f));
      else if (f.number === 2) {
        const [k, v] = mapEntry(f, str);
        data[k] = v as string;
      } else if (f.number === 3) {
        const [k, v] = mapEntry(f, e => bytesOf(e).toString('base64'));
        binaryData[k] = v as string;
      } else if (f.number === 4) out.immutable = int(f) !== 0;
    }
    if (Object.keys(data).length) out.data = data;
    if (Object.keys(binaryData).length) out.binaryData = binaryData;
    return out;
  },
  'v1/Secret': buf => {
    const out: Record<string, unknown> = {};
    const data: Record<string, string> = {};
    const stringData: Record<string, string> = {};
    for (const f of fields(buf)) {
      if (f.number === 1) out.metadata = objectMeta(bytesOf(f));
      else if (f.number === 2) {
        const [k, v] = mapEntry(f, e => bytesOf(e).toString('base64'));
        data[k] = v as string;
      } else if (f.number === 3) out.type = str(f);
      else if (f.number === 4) {
        const [k, v] = mapEntry(f, str);
        stringData[k] = v as string;
      } else if (f.number === 5) out.immutable = int(f) !== 0;
    }
    if (Object.keys(data).length) out.data = data;
    if (Object.keys(stringData).length) out.stringData = stringData;
    if (out.type === '') delete out.type;
    return out;
  },
  'v1/Namespace': buf => {
    const out: Record<string, unknown> = {};
    for (const f of fields(buf)) {
      if (f.number === 1) out.metadata = objectMeta(bytesOf(f));
      else if (f.number === 2) {
        const finalizers = fields(bytesOf(f))
          .filter(e => e.number === 1)
          .map(str);
        out.spec = finalizers.length ? { finalizers } : {};
      } else if (f.number === 3) {
        // kubectl sends an empty phase explicitly; Go's JSON form omits it (omitempty).
        const field = fields(bytesOf(f)).find(e => e.number === 1);
        const phase = field ? str(field) : '';
        out.status = phase ? { phase } : {};
      }
    }
    return out;
  },
  // kubectl auth can-i asks with a typed client, so in protobuf too.
  'authorization.k8s.io/v1/SelfSubjectAccessReview': buf => {
    const spec: Record<string, unknown> = {};
    const strings = (b: Buffer, names: string[]) => {
      const out: Record<string, string> = {};
      for (const f of fields(b))
        if (f.wire === 2 && names[f.number]) out[names[f.number]!] = str(f);
      return out;
    };
    for (const f of fields(buf)) {
      if (f.number !== 2) continue;
      for (const a of fields(bytesOf(f))) {
        if (a.number === 1) {
          spec.resourceAttributes = strings(bytesOf(a), [
            '',
            'namespace',
            'verb',
            'group',
            'version',
            'resource',
            'subresource',
            'name',
          ]);
        } else if (a.number === 2)
          spec.nonResourceAttributes = strings(bytesOf(a), ['', 'path', 'verb']);
      }
    }
    return { spec };
  },
};

export function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

/**
 * The JSON object of a protobuf body, or undefined when its kind is not one this server
 * decodes. Throws ProtobufError for a body that is not the Kubernetes protobuf envelope.
 */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new ProtobufError('not a Kubernetes protobuf body');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  for (const f of fields(body.subarray(4))) {
    if (f.number === 1) {
      for (const t of fields(bytesOf(f))) {
        if (t.number === 1) apiVersion = str(t);
        if (t.number === 2) kind = str(t);
      }
    } else if (f.number === 2) raw = bytesOf(f);
  }
  const decode = DECODERS[`${apiVersion}/${kind}`];
  if (!decode) return undefined;
  return { apiVersion, kind, ...decode(raw ?? Buffer.alloc(0)) };
}

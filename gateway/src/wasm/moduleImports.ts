/**
 * Reads what a WebAssembly module imports, so the gateway can refuse a deploy the device
 * cannot link before sending a byte. Only the type and import sections are read.
 */
export interface ModuleImport {
  module: string;
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global';
  /** For functions: `(params)results` with i=i32, j=i64, f=f32, d=f64 (docs/protocol.md). */
  signature?: string;
}

export class ModuleFormatError extends Error {
  override readonly name = 'ModuleFormatError';
}

const VALUE_TYPES: Record<number, string> = {
  0x7f: 'i',
  0x7e: 'j',
  0x7d: 'f',
  0x7c: 'd',
  0x70: 'r',
  0x6f: 'x',
};

class Reader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.offset >= this.bytes.length) throw new ModuleFormatError('unexpected end of module');
    return this.bytes[this.offset++]!;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new ModuleFormatError('LEB128 integer too long');
  }
  name(): string {
    const length = this.u32();
    if (this.offset + length > this.bytes.length)
      throw new ModuleFormatError('name runs past the end');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      this.bytes.subarray(this.offset, this.offset + length),
    );
    this.offset += length;
    return text;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function moduleImports(bytes: Uint8Array): ModuleImport[] {
  const r = new Reader(bytes);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const expected of header) {
    if (r.byte() !== expected)
      throw new ModuleFormatError('not a WebAssembly 1.0 binary (bad magic or version)');
  }
  const types: string[] = [];
  const imports: ModuleImport[] = [];
  while (r.offset < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.offset + size;
    if (end > bytes.length) throw new ModuleFormatError(`section ${id} runs past the end`);
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new ModuleFormatError('bad function type');
        const params = Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? '?').join('');
        const results = Array.from({ length: r.u32() }, () => VALUE_TYPES[r.byte()] ?? '?').join(
          '',
        );
        types.push(`(${params})${results}`);
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const index = r.u32();
          const signature = types[index];
          if (signature === undefined)
            throw new ModuleFormatError(`import ${module}.${name} uses unknown type ${index}`);
          imports.push({ module, name, kind: 'func', signature });
        } else if (kind === 1) {
          r.byte();
          r.limits();
          imports.push({ module, name, kind: 'table' });
        } else if (kind === 2) {
          r.limits();
          imports.push({ module, name, kind: 'memory' });
        } else if (kind === 3) {
          r.byte();
          r.byte();
          imports.push({ module, name, kind: 'global' });
        } else throw new ModuleFormatError(`import ${module}.${name} has unknown kind ${kind}`);
      }
      return imports;
    }
    r.offset = end;
  }
  return imports;
}

/**
 * The imports a device offering `hostFunctions` cannot satisfy, each as a sentence a person
 * can act on. Empty when the module links.
 */
export function missingImports(module: Uint8Array, hostFunctions: readonly string[]): string[] {
  const offered = new Set(hostFunctions);
  const byName = new Map(hostFunctions.map(f => [f.slice(0, f.indexOf(':')), f]));
  const problems: string[] = [];
  for (const imp of moduleImports(module)) {
    const qualified = `${imp.module}/${imp.name}`;
    if (imp.kind !== 'func') {
      problems.push(`imports ${imp.kind} ${qualified}, but devices offer functions only`);
    } else if (!offered.has(`${qualified}:${imp.signature}`)) {
      const other = byName.get(qualified);
      problems.push(
        other
          ? `imports ${qualified}:${imp.signature}, but the device offers ${other}`
          : `imports ${qualified}:${imp.signature}, which the device does not offer`,
      );
    }
  }
  return problems;
}

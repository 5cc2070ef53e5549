import { missingImports, moduleImports } from './moduleImports';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const str = (s: string) => [s.length, ...Buffer.from(s)];
const section = (id: number, body: number[]) => [id, body.length, ...body];
const OFFERED = ['wasmbed/log:(iii)'];

/** A module whose import section holds `entries` (and a type section for a function import). */
function moduleWith(...entries: number[][]): Uint8Array {
  const types = section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]); // (i32 i32 i32) -> ()
  return Uint8Array.from([...HEADER, ...types, ...section(2, [entries.length, ...entries.flat()])]);
}

const logImport = [...str('wasmbed'), ...str('log'), 0x00, 0];
const memoryImport = [...str('env'), ...str('memory'), 0x02, 0x00, 1];
const tableImport = [...str('env'), ...str('table'), 0x01, 0x70, 0x00, 1];
const globalImport = [...str('env'), ...str('g'), 0x03, 0x7f, 0x00];

describe('module imports the device cannot satisfy are refused before a byte is sent', () => {
  it('links a module importing only offered functions', () => {
    expect(missingImports(moduleWith(logImport), OFFERED)).toEqual([]);
  });

  it.each([
    ['memory', memoryImport, 'imports memory env/memory, but devices offer functions only'],
    ['table', tableImport, 'imports table env/table, but devices offer functions only'],
    ['global', globalImport, 'imports global env/g, but devices offer functions only'],
  ])('refuses a module importing a %s, beside functions it may import', (kind, entry, problem) => {
    expect(moduleImports(moduleWith(logImport, entry)).map(i => i.kind)).toEqual(['func', kind]);
    expect(missingImports(moduleWith(logImport, entry), OFFERED)).toEqual([problem]);
    expect(missingImports(moduleWith(entry), OFFERED)).toEqual([problem]);
  });

  it('refuses a function the device lacks or offers with another signature', () => {
    expect(missingImports(moduleWith(logImport), ['wasmbed/log:(ii)'])).toEqual([
      'imports wasmbed/log:(iii), but the device offers wasmbed/log:(ii)',
    ]);
    expect(missingImports(moduleWith(logImport), [])).toEqual([
      'imports wasmbed/log:(iii), which the device does not offer',
    ]);
  });
});

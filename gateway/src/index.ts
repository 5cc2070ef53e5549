export * from './protocol';
export * from './wasm/hostApi';
export { moduleImports, missingImports, ModuleFormatError } from './wasm/moduleImports';

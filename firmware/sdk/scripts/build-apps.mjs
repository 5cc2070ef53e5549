// Builds the example apps with the AssemblyScript compiler: firmware/build/apps/NAME.wasm.
// --runtime incremental: AssemblyScript's garbage collector. Apps build strings at every
// activation, and in their one 64 KiB page a runtime that never frees (stub) runs out after
// a few hundred activations. abort is routed to the SDK.
import asc from 'assemblyscript/asc';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const firmware = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(firmware, 'build/apps');
mkdirSync(out, { recursive: true });
let failed = 0;
for (const app of readdirSync(path.join(firmware, 'apps'))) {
  const { error, stderr } = await asc.main([
    path.join('apps', app, 'index.ts'),
    '--baseDir', firmware,
    '--outFile', path.join(out, `${app}.wasm`),
    '--optimizeLevel', '3', '--shrinkLevel', '2',
    '--runtime', 'incremental',
    '--use', 'abort=sdk/assembly/index/wasmbedAbort',
    '--initialMemory', '1', '--maximumMemory', '1',
  ]);
  if (error) {
    failed++;
    console.error(`${app}: ${error.message}\n${stderr.toString()}`);
  } else console.log(`built ${path.relative(process.cwd(), path.join(out, `${app}.wasm`))}`);
}
process.exit(failed ? 1 : 0);

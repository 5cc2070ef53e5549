/**
 * `./wasmbed up`: runs the platform. Today that is the gateway, with its embedded control
 * plane and admin API; the parts not built yet are named, not pretended.
 */
import { KINDS } from '@wasmbed/plugin-wasmbed-common';
import { MESSAGES, PROTOCOL_VERSION } from '@wasmbed/gateway';

const pending = [
  'API server and controllers (Device/Application/Gateway resources): not built yet',
  'QEMU devices: firmware parts exist (interpreter, boards + lwIP, TLS, codec), not yet joined into a device',
  'Backstage portal: not built yet',
];

console.log('Wasmbed');
console.log(
  `  resource model  wasmbed.io/v1alpha1: ${KINDS.map(k => k.kind).join(', ')} (CRDs in backend/crds/)`,
);
console.log(
  `  wire protocol   version ${PROTOCOL_VERSION}, ${MESSAGES.length} message types (docs/protocol.md)`,
);
for (const line of pending) console.log(`  -               ${line}`);
console.log('Starting the gateway (Ctrl-C stops it):');

if (!process.argv.includes('--port')) process.argv.push('--port', '8443');
if (!process.argv.includes('--data')) process.argv.push('--data', '.wasmbed/gateway');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../gateway/src/cli');

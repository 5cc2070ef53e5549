/**
 * `./wasmbed up`: runs the platform. It starts only components that exist in this tree and
 * says which do not yet, so nothing it prints is invented.
 */
import { BOARDS, KINDS } from '@wasmbed/plugin-wasmbed-common';
import { MESSAGES, PROTOCOL_VERSION } from '@wasmbed/gateway';

const pending = [
  'gateway (TLS 1.3 device sessions, enrollment CA): not built yet',
  'API server and controllers (embedded store): not built yet',
  'QEMU devices: firmware not built yet',
];

console.log('Wasmbed');
console.log(
  `  resource model  wasmbed.io/v1alpha1: ${KINDS.map(k => k.kind).join(', ')} (CRDs in backend/crds/)`,
);
console.log(
  `  wire protocol   version ${PROTOCOL_VERSION}, ${MESSAGES.length} message types (docs/protocol.md)`,
);
console.log(`  boards          ${BOARDS.map(b => b.id).join(', ')}`);
for (const line of pending) console.log(`  -               ${line}`);
console.log('Nothing runs yet: there is no server to start. See README.md, "Status".');

// Differential check: the TypeScript reference codec's verdict on each input versus the C
// codec's (lines "<file> <code>" on stdin-file argv[2]); known differences by content sha1.
import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import { decodeFrame } from '../../../gateway/src/protocol/codec';

const [, , cOut, knownFile] = process.argv;
const known = new Set(
  readFileSync(knownFile!, 'utf8').split('\n').map(l => l.split('#')[0]!.trim()).filter(Boolean),
);
let total = 0;
let unexpected = 0;
let expected = 0;
for (const line of readFileSync(cOut!, 'utf8').trim().split('\n')) {
  const [path, c] = line.split(' ');
  const bytes = readFileSync(path!);
  let ts = 'OK';
  try {
    decodeFrame(new Uint8Array(bytes));
  } catch (e) {
    ts = (e as { code?: string }).code ?? `THROW ${(e as Error).message}`;
  }
  total++;
  if (ts === c) continue;
  const sha = createHash('sha1').update(bytes).digest('hex');
  if (known.has(sha)) { expected++; continue; }
  unexpected++;
  console.log(`DIFF ${path} C=${c} TS=${ts} sha1=${sha} ${bytes.toString('hex').slice(0, 96)}`);
}
console.log(`protocol-diff: ${total} inputs, ${unexpected} unexpected differences, ${expected} known`);
process.exit(unexpected ? 1 : 0);

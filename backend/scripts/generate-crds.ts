import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CRD_DIR, renderCrdFiles } from '../src/crds/render';

mkdirSync(CRD_DIR, { recursive: true });
const files = renderCrdFiles();
for (const stale of readdirSync(CRD_DIR)) {
  if (stale.endsWith('.yaml') && !files.has(stale)) rmSync(path.join(CRD_DIR, stale));
}
for (const [name, text] of files) {
  writeFileSync(path.join(CRD_DIR, name), text);
  console.log(`wrote backend/crds/${name}`);
}

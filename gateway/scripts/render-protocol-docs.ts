import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CATALOGUE_BEGIN, CATALOGUE_END, renderCatalogue } from '../src/protocol/catalogueMarkdown';

const file = path.resolve(__dirname, '../../docs/protocol.md');
const doc = readFileSync(file, 'utf8');
const start = doc.indexOf(CATALOGUE_BEGIN);
const end = doc.indexOf(CATALOGUE_END);
if (start < 0 || end < start) throw new Error(`docs/protocol.md lacks the catalogue markers`);
writeFileSync(
  file,
  doc.slice(0, start + CATALOGUE_BEGIN.length) + '\n\n' + renderCatalogue() + '\n' + doc.slice(end),
);
console.log('docs/protocol.md: message catalogue rendered');

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CATALOGUE_BEGIN,
  CATALOGUE_END,
  renderCatalogue,
} from '../../gateway/src/protocol/catalogueMarkdown';
import { ERROR_CODES, MESSAGES, PROTOCOL_ERROR_CODES } from '../../gateway/src/protocol';

const doc = readFileSync(path.resolve(__dirname, '../../docs/protocol.md'), 'utf8');

describe('docs/protocol.md', () => {
  it('holds the message catalogue the codec runs on (run `npm run protocol:docs` after a change)', () => {
    const section = doc.slice(
      doc.indexOf(CATALOGUE_BEGIN) + CATALOGUE_BEGIN.length,
      doc.indexOf(CATALOGUE_END),
    );
    expect(section.trim()).toBe(renderCatalogue().trim());
  });

  it('has a heading for every message type the codec knows', () => {
    for (const m of MESSAGES) expect(doc).toContain(`### ${m.type} \`${m.name}\``);
  });

  it('explains every error code and every codec error name', () => {
    for (const code of ERROR_CODES) expect(doc).toMatch(new RegExp(`\\b${code}\\b`));
    for (const name of PROTOCOL_ERROR_CODES) expect(doc).toContain(`\`${name}\``);
  });
});

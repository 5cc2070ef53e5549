import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

/**
 * A package whose optional dependencies are missing from the lockfile makes `npm install`
 * on another day (when the registry serves them) rewrite package-lock.json: the test
 * command then leaves the tree modified. Resolution follows Node's: nested, then upwards.
 */
function missingOptionalDependencies(packages: Record<string, LockEntry>): string[] {
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      let base = path;
      let found = false;
      for (;;) {
        if (packages[`${base ? `${base}/` : ''}node_modules/${dep}`]) {
          found = true;
          break;
        }
        if (!base) break;
        const up = base.lastIndexOf('/node_modules/');
        base = up < 0 ? '' : base.slice(0, up);
      }
      if (!found) missing.push(`${path || '(root)'} -> ${dep}`);
    }
  }
  return missing;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(__dirname, '../../package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };

  it('lists every optional dependency it names, so an install never rewrites it', () => {
    expect(missingOptionalDependencies(lock.packages)).toEqual([]);
  });

  it('the check finds a missing optional dependency', () => {
    expect(
      missingOptionalDependencies({
        'node_modules/a': { optionalDependencies: { b: '1' } },
        'node_modules/c': { optionalDependencies: { d: '1' } },
        'node_modules/c/node_modules/d': {},
      }),
    ).toEqual(['node_modules/a -> b']);
  });
});

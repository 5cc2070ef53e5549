import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnrollmentAuthority } from './enrollmentAuthority';

describe('the fleet CA is never silently replaced', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'ca-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['the certificate', 'ca.crt.pem', /ca\.key\.pem exists but .*ca\.crt\.pem is missing/],
    ['the key', 'ca.key.pem', /ca\.crt\.pem exists but .*ca\.key\.pem is missing/],
  ])('refuses to start when %s is missing and leaves the other alone', async (_, gone, error) => {
    const first = await EnrollmentAuthority.open(dir);
    const kept = gone === 'ca.crt.pem' ? 'ca.key.pem' : 'ca.crt.pem';
    const keptBefore = readFileSync(path.join(dir, 'ca', kept), 'utf8');
    rmSync(path.join(dir, 'ca', gone));
    await expect(EnrollmentAuthority.open(dir)).rejects.toThrow(error);
    expect(readFileSync(path.join(dir, 'ca', kept), 'utf8')).toBe(keptBefore);
    expect(first.caCertificatePem).toContain('BEGIN CERTIFICATE');
  });
});

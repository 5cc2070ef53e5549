import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, startTestGateway } from '../testSupport';
import { CRL_VALIDITY_MS, EnrollmentAuthority } from './enrollmentAuthority';

const DAY = 86_400_000;

/** A clock the test moves. */
function fakeClock(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

describe('the CRL stays valid however long the gateway runs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'crl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is re-signed once a day old, and one past its nextUpdate is never handed out', async () => {
    const clock = fakeClock(Date.now());
    const authority = await EnrollmentAuthority.open(dir, { now: clock.now });
    await authority.revoke(['0abc']);
    const first = authority.crlValidity;
    expect(first.nextUpdate.getTime() - clock.now().getTime()).toBe(CRL_VALIDITY_MS);

    clock.advance(DAY / 2);
    expect(await authority.refreshCrl(DAY)).toBe(false);
    clock.advance(DAY);
    expect(await authority.refreshCrl(DAY)).toBe(true);
    expect(authority.crlValidity.thisUpdate.getTime()).toBe(clock.now().getTime());
    expect(authority.crlPem).toContain('BEGIN X509 CRL');

    clock.advance(8 * DAY); // a host suspended for a week: the old CRL has run out
    expect(() => authority.crlPem).toThrow(/CRL expired/);
    expect(await authority.refreshCrl(DAY)).toBe(true);
    expect(authority.crlValidity.nextUpdate.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(authority.isRevoked('0abc')).toBe(true);
  });

  it('devices still connect after 8 days with a revocation on the CRL (real TLS)', async () => {
    // OpenSSL judges the CRL by the real clock, so the gateway starts 8 days in the past and
    // its clock is then brought to now: the CRL it signed at start has run out by real time.
    const clock = fakeClock(Date.now() - 8 * DAY);
    const t = await startTestGateway({ now: clock.now, crlCheckIntervalMs: 50 });
    try {
      const { client: revoked, token } = await t.device('crl-revoked');
      await revoked.enroll(token);
      await eventually(() => t.controlPlane.observed('crl-revoked')?.certificate);
      t.controlPlane.revokeDevice('crl-revoked'); // the CRL is now loaded into TLS
      await eventually(() => t.gateway.authority.revokedCount > 0);
      const { client, token: token2 } = await t.device('crl-ok');
      await client.enroll(token2);
      expect(t.gateway.authority.crlValidity.nextUpdate.getTime()).toBeLessThan(Date.now());

      // As the issue found it: every handshake refused once nextUpdate has passed.
      await expect(client.connect({ heartbeats: false })).rejects.toThrow();
      const refused = await eventually(() =>
        t.logLines.find(l => l.msg === 'device handshake refused'),
      );
      expect(String(refused.reason)).toBe('CRL_HAS_EXPIRED');

      clock.advance(8 * DAY);
      await eventually(() => t.gateway.authority.crlValidity.nextUpdate.getTime() > Date.now());
      await client.connect({ heartbeats: false });
      expect(t.gateway.sessions.has('crl-ok')).toBe(true);
      client.close();
    } finally {
      await t.stop();
    }
  });
});

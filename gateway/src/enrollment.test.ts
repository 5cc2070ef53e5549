import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { DeviceClient, EnrollmentRefused } from './client/deviceClient';
import { DeviceIdentity } from './client/deviceIdentity';
import { EnrollmentAuthority } from './pki/enrollmentAuthority';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('enrollment and mutual TLS (real TLS 1.3 on loopback)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.stop());

  /**
   * Attempts a certified session that must fail in the TLS handshake: the client gets no
   * session and the gateway logs the handshake refusal. Returns the gateway's reason.
   */
  async function refusal(client: DeviceClient, tlsOptions = {}): Promise<string> {
    const sessionsBefore = t.gateway.sessions.size;
    const logsBefore = t.logLines.length;
    const err = await client.connect({ tls: tlsOptions }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toEqual(expect.any(String));
    expect(t.gateway.sessions.size).toBe(sessionsBefore);
    const line = await eventually(() =>
      t.logLines.slice(logsBefore).find(l => l.msg === 'device handshake refused'),
    );
    expect(t.logLines.slice(logsBefore).some(l => l.msg === 'device connected')).toBe(false);
    return String(line.reason);
  }

  it('issues a device certificate for a valid token: clientAuth, name in the SAN, bounded validity', async () => {
    const { client, token } = await t.device('dev-ok');
    const cert = await client.enroll(token);
    expect(cert.subject).toBe('CN=dev-ok');
    const san = cert.getExtension('2.5.29.17');
    expect(JSON.stringify(san)).toContain('dev-ok');
    expect(JSON.stringify(cert.getExtension('2.5.29.37'))).toContain(CLIENT_AUTH);
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(300);
    expect(days).toBeLessThan(400);
    expect(
      await cert.verify({ publicKey: await t.gateway.authority.caCertificate.publicKey.export() }),
    ).toBe(true);
    const welcome = await client.connect({ heartbeats: false });
    expect(welcome.heartbeatIntervalS).toBeGreaterThan(0);
    expect(t.controlPlane.observed('dev-ok')?.phase).toBe('Connected');
    client.close();
  });

  it('refuses a reused token, and gives no certificate', async () => {
    const { client, token } = await t.device('dev-reuse');
    await client.enroll(token);
    const again = new DeviceClient(await DeviceIdentity.create('dev-reuse'), t.address);
    await expect(again.enroll(token)).rejects.toThrow(
      new EnrollmentRefused('tokenUsed', 'bootstrap token was already used'),
    );
    expect(again.identity.certificatePem).toBeUndefined();
  });

  it('refuses an expired token', async () => {
    const identity = await DeviceIdentity.create('dev-expired');
    t.controlPlane.registerDevice({ name: 'dev-expired', token: 'short-lived', tokenTtlMs: 1 });
    await new Promise(r => setTimeout(r, 20));
    const client = new DeviceClient(identity, t.address);
    await expect(client.enroll('short-lived')).rejects.toMatchObject({ code: 'tokenExpired' });
    expect(identity.certificatePem).toBeUndefined();
  });

  it('refuses a wrong token, a missing token and an unknown device', async () => {
    const { client } = await t.device('dev-wrong');
    await expect(client.enroll('not-the-token')).rejects.toMatchObject({ code: 'tokenInvalid' });
    await expect(client.enroll()).rejects.toMatchObject({ code: 'tokenInvalid' });
    const stranger = new DeviceClient(await DeviceIdentity.create('nobody'), t.address);
    await expect(stranger.enroll('x')).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('enrolls a device whose public key is pinned, without a token, and refuses another key', async () => {
    const identity = await DeviceIdentity.create('dev-pinned');
    t.controlPlane.registerDevice({
      name: 'dev-pinned',
      pinnedPublicKeyPem: await identity.publicKeyPem(),
    });
    await new DeviceClient(identity, t.address).enroll();
    const impostor = new DeviceClient(await DeviceIdentity.create('dev-pinned'), t.address);
    await expect(impostor.enroll()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses at handshake a certificate from another CA', async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), 'other-ca-'));
    const other = await EnrollmentAuthority.open(otherDir);
    const { client } = await t.device('dev-foreign');
    const issued = await other.issueDeviceCertificate('dev-foreign', await client.identity.csr());
    client.identity.certificatePem = issued.pem;
    expect(await refusal(client)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('refuses at handshake an expired certificate', async () => {
    // Same fleet CA key, but a clock two years back: the certificate it signs has expired.
    const pastDir = mkdtempSync(path.join(tmpdir(), 'past-ca-'));
    cpSync(path.join(t.dataDir, 'ca'), path.join(pastDir, 'ca'), { recursive: true });
    const past = await EnrollmentAuthority.open(pastDir, {
      now: () => new Date(Date.now() - 2 * 365 * 86_400_000),
    });
    const { client } = await t.device('dev-old');
    client.identity.certificatePem = (
      await past.issueDeviceCertificate('dev-old', await client.identity.csr())
    ).pem;
    expect(client.identity.certificate!.notAfter.getTime()).toBeLessThan(Date.now());
    expect(await refusal(client)).toBe('CERT_HAS_EXPIRED');
    rmSync(pastDir, { recursive: true, force: true });
  });

  it('refuses at handshake a client with no certificate', async () => {
    const { client, token } = await t.device('dev-nocert');
    await client.enroll(token);
    expect(await refusal(client, { key: undefined, cert: undefined })).toBe(
      'no client certificate',
    );
  });

  it('refuses at handshake a TLS 1.2-only client', async () => {
    const { client, token } = await t.device('dev-tls12');
    await client.enroll(token);
    expect(await refusal(client, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toMatch(
      /version|protocol/i,
    );
  });

  it('agrees P-256 with a device, X25519 with a client leading with it, and refuses ML-KEM only', async () => {
    const group = async (name: string, tlsOptions?: tls.ConnectionOptions) => {
      const { client, token } = await t.device(name);
      await client.enroll(token);
      await client.connect({ heartbeats: false, tls: tlsOptions });
      const info = (client.connection!.socket as tls.TLSSocket).getEphemeralKeyInfo();
      client.close();
      return info && 'name' in info ? info.name : undefined;
    };
    expect(await group('dev-p256')).toBe('prime256v1');
    expect(await group('dev-x25519', { ecdhCurve: 'X25519:P-256' })).toBe('X25519');
    const { client, token } = await t.device('dev-mlkem');
    await client.enroll(token);
    expect(await refusal(client, { ecdhCurve: 'X25519MLKEM768' })).toMatch(/group|share/i);
  });

  it('refuses at handshake a revoked device', async () => {
    const { client, token } = await t.device('dev-revoked');
    await client.enroll(token);
    await eventually(() => t.controlPlane.observed('dev-revoked')?.certificate);
    t.controlPlane.revokeDevice('dev-revoked');
    // Logged once the new CRL is signed and loaded into TLS (isRevoked turns true before).
    await eventually(() =>
      t.logLines.find(l => l.msg === 'deviceRevoked' && l.device === 'dev-revoked'),
    );
    expect(t.gateway.authority.isRevoked(client.identity.certificate!.serialNumber)).toBe(true);
    expect(await refusal(client)).toBe('CERT_REVOKED');
  });

  it('disconnects a device revoked mid-session', async () => {
    const client = await t.connectedDevice('dev-live');
    const closed = new Promise<string>(resolve => client.once('closed', resolve));
    t.controlPlane.revokeDevice('dev-live');
    await closed;
    await eventually(() => !t.gateway.sessions.has('dev-live'));
  });

  it('keeps the CA key owner-only and reuses it after a restart', async () => {
    const keyFile = path.join(t.dataDir, 'ca', 'ca.key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await EnrollmentAuthority.open(t.dataDir);
    expect(again.caCertificatePem).toBe(t.gateway.caCertificatePem);
  });
});

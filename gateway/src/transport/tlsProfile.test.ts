import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { DeviceIdentity } from '../client/deviceIdentity';
import { EnrollmentAuthority } from '../pki/enrollmentAuthority';
import { DEVICE_TLS_GROUPS, GATEWAY_TLS_GROUPS, tlsProfile } from './tlsProfile';

/**
 * The device listener's profile sends no resumable session: every connection is a full
 * handshake with the device's certificate verified. Checked against the same server without
 * the option, which does resume, so the check can see a resumption when there is one.
 */
describe('tlsProfile: no session resumption', () => {
  let dir: string;
  let server: { key: string; cert: string; ca: string };
  let device: { key: string; cert: string };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasmbed-tls-'));
    const authority = await EnrollmentAuthority.open(dir);
    server = { ...(await authority.serverCredentials()), ca: authority.caCertificatePem };
    const identity = await DeviceIdentity.create('resumer');
    const issued = await authority.issueDeviceCertificate('resumer', await identity.csr());
    device = { key: identity.keyPem, cert: issued.pem };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A mutual-TLS server shaped like the device listener; reports what each connection saw. */
  async function listen(secureOptions: number | undefined) {
    const peers: string[] = [];
    const srv = tls.createServer({
      key: server.key,
      cert: server.cert,
      ca: [server.ca],
      ...tlsProfile(GATEWAY_TLS_GROUPS),
      secureOptions,
      requestCert: true,
      rejectUnauthorized: true,
    });
    srv.on('secureConnection', socket => {
      peers.push(String(socket.getPeerCertificate().subject?.CN));
      socket.on('error', () => {});
      // Closed by the server once the client has had time to read what came after Finished.
      setTimeout(() => socket.end(), 50);
    });
    await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve));
    return { srv, peers, port: (srv.address() as AddressInfo).port };
  }

  /** One connection; resolves with the session the server offered (if any) and reuse. */
  function connect(port: number, session?: Buffer) {
    return new Promise<{ session?: Buffer; reused: boolean }>((resolve, reject) => {
      let offered: Buffer | undefined;
      let reused = false;
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        key: device.key,
        cert: device.cert,
        ca: [server.ca],
        ...tlsProfile(DEVICE_TLS_GROUPS),
        session,
      });
      socket.on('secureConnect', () => (reused = socket.isSessionReused()));
      socket.on('session', s => (offered = s));
      socket.on('error', reject);
      socket.on('close', () => resolve({ session: offered, reused }));
    });
  }

  async function twoConnections(secureOptions: number | undefined) {
    const { srv, peers, port } = await listen(secureOptions);
    try {
      const first = await connect(port);
      const second = await connect(port, first.session);
      return { first, second, peers };
    } finally {
      srv.close();
    }
  }

  it('offers a session (clients that wait for one still get it) that does not resume', async () => {
    const { first, second, peers } = await twoConnections(
      tlsProfile(GATEWAY_TLS_GROUPS).secureOptions,
    );
    expect(first.session).toBeInstanceOf(Buffer);
    expect(second.reused).toBe(false);
    // Both connections presented the device certificate.
    expect(peers).toEqual(['resumer', 'resumer']);
  });

  it('(the check) the same server with OpenSSL default tickets resumes', async () => {
    const { first, second } = await twoConnections(0);
    expect(first.session).toBeInstanceOf(Buffer);
    expect(second.reused).toBe(true);
  });
});

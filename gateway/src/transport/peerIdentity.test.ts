import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { DeviceIdentity } from '../client/deviceIdentity';
import { EnrollmentAuthority } from '../pki/enrollmentAuthority';
import { fromSessionDer, peerIdentity, type PeerIdentity } from './peerIdentity';
import { DEVICE_TLS_GROUPS, GATEWAY_TLS_GROUPS, tlsProfile } from './tlsProfile';

/**
 * peerIdentity() must say what getPeerCertificate() says (whether a certificate was presented,
 * its one CN, its serial as Node writes it) for every certificate a device could present: the
 * CA's own, and odd ones made with openssl (several CNs, none, PrintableString, serials with
 * leading zero bytes and nibbles). Both are read on the same live server connection.
 */
describe('peerIdentity: the device name and serial without getPeerCertificate()', () => {
  let dir: string;
  let server: { key: string; cert: string; ca: string };
  let srv: tls.Server;
  let port: number;
  const seen: { ours: PeerIdentity; node: PeerIdentity }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasmbed-peer-'));
    const authority = await EnrollmentAuthority.open(dir);
    server = { ...(await authority.serverCredentials()), ca: authority.caCertificatePem };
    srv = tls.createServer({
      key: server.key,
      cert: server.cert,
      ca: [server.ca],
      ...tlsProfile(GATEWAY_TLS_GROUPS),
      requestCert: true,
      rejectUnauthorized: false, // as the gateway: odd certificates get through to be read
    });
    srv.on('secureConnection', socket => {
      const ours = peerIdentity(socket);
      const peer = socket.getPeerCertificate();
      const cn: unknown = peer.subject?.CN;
      seen.push({
        ours,
        node: {
          presented: peer.raw !== undefined,
          device: typeof cn === 'string' && cn ? cn : undefined,
          serialNumber: peer.serialNumber,
        },
      });
      socket.end();
    });
    await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve));
    port = (srv.address() as AddressInfo).port;
  });
  afterAll(() => {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One connection with this key and certificate (or none); what the server read. */
  async function present(credentials?: { key: string; cert: string }) {
    const before = seen.length;
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: [server.ca],
        ...tlsProfile(DEVICE_TLS_GROUPS),
        ...credentials,
      });
      socket.on('error', reject);
      socket.on('data', () => {});
      socket.on('close', () => resolve());
    });
    expect(seen.length).toBe(before + 1);
    return seen[before]!;
  }

  /** A self-signed P-256 certificate from openssl with this subject and serial. */
  function opensslCertificate(subject: string, serial: string, printable = false) {
    const name = `c${seen.length}-${Math.random().toString(36).slice(2)}`;
    const config = path.join(dir, `${name}.cnf`);
    writeFileSync(
      config,
      `[req]\ndistinguished_name = dn\nstring_mask = ${printable ? 'default' : 'utf8only'}\n[dn]\n`,
    );
    const key = path.join(dir, `${name}.key`);
    const cert = path.join(dir, `${name}.crt`);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-config',
        config,
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        subject,
        '-multivalue-rdn',
        '-set_serial',
        serial,
      ],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  it("reads the fleet CA's device certificates as getPeerCertificate does", async () => {
    const authority = await EnrollmentAuthority.open(dir);
    for (const name of [
      'dev-1',
      'a-very-long-device-name-of-sixty-three-characters-at-most-0123',
    ]) {
      const identity = await DeviceIdentity.create(name);
      const issued = await authority.issueDeviceCertificate(name, await identity.csr());
      const { ours, node } = await present({ key: identity.keyPem, cert: issued.pem });
      expect(ours).toEqual(node);
      expect(ours.device).toBe(name);
      expect(ours.serialNumber!.toLowerCase()).toBe(issued.serialNumber);
    }
  });

  it('agrees on odd subjects and serials', async () => {
    const cases: [string, string, boolean?][] = [
      ['/CN=plain', '0x01'],
      ['/CN=printable/O=Org', '0x0A0B0C', true],
      ['/O=no-common-name', '0x7f'],
      ['/CN=one/CN=two', '0x1234'], // two CNs: no one device
      ['/CN=multi+O=valued', '0x00ff'], // a serial DER pads with a zero byte
      ['/CN=zürich-ü', '0x05'], // UTF-8, and a leading zero nibble
      ['/CN=long-serial', '0x7fffffffffffffffffffffffffffffffffffffff'],
      ['/CN=zero', '0'],
    ];
    for (const [subject, serial, printable] of cases) {
      const { ours, node } = await present(opensslCertificate(subject, serial, printable));
      expect({ subject, ...ours }).toEqual({ subject, ...node });
    }
  });

  it('no certificate: not presented, no name', async () => {
    const { ours, node } = await present();
    expect(ours).toEqual({ presented: false });
    expect(node.presented).toBe(false);
  });

  it('a session that does not parse names no device', () => {
    expect(fromSessionDer(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]))).toEqual({
      presented: false,
    });
    // The peer field claims more bytes than the session holds.
    expect(() => fromSessionDer(Uint8Array.from([0x30, 0x04, 0xa3, 0x7f, 0x30, 0x00]))).toThrow(
      /overruns/,
    );
  });
});

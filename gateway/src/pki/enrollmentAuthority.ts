import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  EC_KEY,
  EC_SIGN,
  generateKeyPair,
  privateKeyFromPem,
  privateKeyToPem,
  sha256Hex,
  subtle,
  x509,
} from './x509';
import { readTextIfExists, writeSecretFile } from './secretFiles';

export interface IssuedCertificate {
  device: string;
  serialNumber: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
  pem: string;
}

/** What the control plane records of a certificate: never the certificate bytes themselves. */
export function certificateFacts(c: IssuedCertificate) {
  return {
    serialNumber: c.serialNumber,
    fingerprintSha256: c.fingerprintSha256,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
  };
}

export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  constructor(
    readonly code: 'badCsr' | 'wrongKey' | 'unauthorized',
    message: string,
  ) {
    super(message);
  }
}

export interface AuthorityOptions {
  /** How long a device certificate is valid. */
  deviceCertificateDays?: number;
  /** Host names and IPs the gateway's server certificate names. */
  serverNames?: string[];
  now?: () => Date;
}

/** How long a signed CRL is valid (its nextUpdate); the gateway re-signs it daily. */
export const CRL_VALIDITY_MS = 7 * 86_400_000;

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The fleet CA: an ECDSA P-256 key and self-signed certificate kept in DIR/ca, which signs
 * device certificates from CSRs, the gateway's own server certificate, and the CRL that TLS
 * checks at every handshake.
 */
export class EnrollmentAuthority {
  private revoked = new Map<string, Date>();
  private authorityKeyId: x509.AuthorityKeyIdentifierExtension | undefined;
  private crl!: string;
  private crlThisUpdate = new Date(0);
  private crlNextUpdate = new Date(0);

  private constructor(
    private readonly dir: string,
    private readonly caKeys: CryptoKeyPair,
    readonly caCertificate: x509.X509Certificate,
    private readonly options: Required<AuthorityOptions>,
  ) {}

  static async open(dir: string, options: AuthorityOptions = {}): Promise<EnrollmentAuthority> {
    const opts: Required<AuthorityOptions> = {
      deviceCertificateDays: options.deviceCertificateDays ?? 365,
      serverNames: options.serverNames ?? ['localhost', '127.0.0.1'],
      now: options.now ?? (() => new Date()),
    };
    const keyFile = path.join(dir, 'ca', 'ca.key.pem');
    const certFile = path.join(dir, 'ca', 'ca.crt.pem');
    const keyPem = readTextIfExists(keyFile);
    const certPem = readTextIfExists(certFile);
    let keys: CryptoKeyPair;
    let cert: x509.X509Certificate;
    // One without the other is damage, not a first start: making a new CA would orphan every
    // device certificate (or overwrite the key the certificate names).
    if (keyPem !== undefined && certPem === undefined)
      throw new Error(
        `${keyFile} exists but ${certFile} is missing: restore it, or remove both to make a new CA`,
      );
    if (certPem !== undefined && keyPem === undefined)
      throw new Error(
        `${certFile} exists but ${keyFile} is missing: restore it, or remove both to make a new CA`,
      );
    if (keyPem && certPem) {
      keys = await privateKeyFromPem(keyPem);
      cert = new x509.X509Certificate(certPem);
    } else {
      const made = await EnrollmentAuthority.createCa(opts.now());
      keys = await privateKeyFromPem(made.keyPem);
      cert = new x509.X509Certificate(made.certPem);
      writeSecretFile(keyFile, made.keyPem);
      writeSecretFile(certFile, made.certPem);
    }
    const authority = new EnrollmentAuthority(dir, keys, cert, opts);
    authority.loadRevocations();
    await authority.writeCrl();
    return authority;
  }

  /** A new fleet CA (key and self-signed certificate, PEM), valid ten years from `now`. */
  static async createCa(now: Date = new Date()): Promise<{ keyPem: string; certPem: string }> {
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=Wasmbed fleet CA',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
      keys,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { keyPem: await privateKeyToPem(keys.privateKey), certPem: cert.toString('pem') };
  }

  get caCertificatePem(): string {
    return this.caCertificate.toString('pem');
  }

  /**
   * The current CRL, PEM; TLS servers load it so revoked certificates fail the handshake.
   * One past its nextUpdate is never handed out (every handshake would fail with it).
   */
  get crlPem(): string {
    if (this.options.now() >= this.crlNextUpdate)
      throw new Error(`the CRL expired at ${this.crlNextUpdate.toISOString()}; refreshCrl first`);
    return this.crl;
  }

  /** When the current CRL was signed, and when it stops being valid. */
  get crlValidity(): { thisUpdate: Date; nextUpdate: Date } {
    return { thisUpdate: this.crlThisUpdate, nextUpdate: this.crlNextUpdate };
  }

  /**
   * Re-signs the CRL (same entries) when it is older than `maxAgeMs`; true when it did. The
   * validity (CRL_VALIDITY_MS) leaves days of slack over the daily refresh.
   */
  async refreshCrl(maxAgeMs: number): Promise<boolean> {
    if (this.options.now().getTime() - this.crlThisUpdate.getTime() < maxAgeMs) return false;
    await this.writeCrl();
    return true;
  }

  /** The gateway's TLS server key and certificate, made once and kept beside the CA. */
  async serverCredentials(): Promise<{ key: string; cert: string }> {
    const keyFile = path.join(this.dir, 'server', 'server.key.pem');
    const certFile = path.join(this.dir, 'server', 'server.crt.pem');
    const key = readTextIfExists(keyFile);
    const cert = readTextIfExists(certFile);
    const names = [...this.options.serverNames].sort().join(',');
    if (key && cert && readTextIfExists(`${certFile}.names`) === names) {
      const existing = new x509.X509Certificate(cert);
      if (existing.notAfter.getTime() - this.options.now().getTime() > 7 * 86_400_000)
        return { key, cert };
    }
    const keys = await generateKeyPair();
    const now = this.options.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=Wasmbed gateway',
      issuer: this.caCertificate.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 86_400_000),
      publicKey: keys.publicKey,
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([SERVER_AUTH]),
        new x509.SubjectAlternativeNameExtension(
          this.options.serverNames.map(n => ({
            type: IPV4.test(n) ? ('ip' as const) : ('dns' as const),
            value: n,
          })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(this.caCertificate),
      ],
    });
    const pair = { key: await privateKeyToPem(keys.privateKey), cert: certificate.toString('pem') };
    writeSecretFile(keyFile, pair.key);
    writeSecretFile(certFile, pair.cert);
    writeSecretFile(`${certFile}.names`, names);
    return pair;
  }

  /**
   * Signs a device certificate for the key in a CSR. The CSR's own signature proves the
   * device holds the key; `pinnedPublicKeyPem`, when the Device pins one, must be that key.
   */
  async issueDeviceCertificate(
    device: string,
    csrDer: Uint8Array,
    pinnedPublicKeyPem?: string,
    /** Runs once the CSR is proven good and before signing: where a token is spent. */
    authorize: () => Promise<void> = async () => {},
  ): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(Uint8Array.from(csrDer));
    } catch (err) {
      throw new EnrollmentError(
        'badCsr',
        `CSR is not a DER PKCS#10 request: ${(err as Error).message}`,
      );
    }
    if (!(await csr.verify())) throw new EnrollmentError('badCsr', 'CSR signature does not verify');
    const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
    if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
      throw new EnrollmentError('badCsr', `device keys must be ECDSA P-256, not ${algorithm.name}`);
    }
    if (pinnedPublicKeyPem !== undefined) {
      const pinned = new x509.PublicKey(pinnedPublicKeyPem);
      if (!equal(new Uint8Array(pinned.rawData), new Uint8Array(csr.publicKey.rawData))) {
        throw new EnrollmentError(
          'wrongKey',
          'CSR key differs from the public key pinned for this device',
        );
      }
    }
    await authorize();
    const now = this.options.now();
    const notBefore = new Date(now.getTime() - 5 * 60_000);
    const notAfter = new Date(now.getTime() + this.options.deviceCertificateDays * 86_400_000);
    const publicKey = await csr.publicKey.export(EC_KEY, ['verify']);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${device}`,
      issuer: this.caCertificate.subject,
      notBefore,
      notAfter,
      publicKey,
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([CLIENT_AUTH]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: device }]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        (this.authorityKeyId ??= await x509.AuthorityKeyIdentifierExtension.create(
          this.caCertificate,
        )),
      ],
    });
    const der = new Uint8Array(certificate.rawData);
    return {
      device,
      serialNumber: certificate.serialNumber.toLowerCase(),
      fingerprintSha256: sha256Hex(der),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      der,
      pem: certificate.toString('pem'),
    };
  }

  /** Adds serials to the CRL (kept on disk) and returns the new CRL. */
  async revoke(serialNumbers: string[]): Promise<string> {
    let changed = false;
    for (const s of serialNumbers.map(n => n.toLowerCase())) {
      if (!this.revoked.has(s)) {
        this.revoked.set(s, this.options.now());
        changed = true;
      }
    }
    if (changed) {
      // On disk before the CRL that names them is signed and handed to TLS.
      writeSecretFile(
        path.join(this.dir, 'ca', 'revoked.json'),
        JSON.stringify(
          [...this.revoked].map(([serialNumber, at]) => ({ serialNumber, at: at.toISOString() })),
        ),
      );
      await this.writeCrl();
    }
    return this.crl;
  }

  get revokedCount(): number {
    return this.revoked.size;
  }

  isRevoked(serialNumber: string): boolean {
    return this.revoked.has(serialNumber.toLowerCase());
  }

  private loadRevocations(): void {
    const text = readTextIfExists(path.join(this.dir, 'ca', 'revoked.json'));
    if (!text) return;
    for (const { serialNumber, at } of JSON.parse(text) as { serialNumber: string; at: string }[]) {
      this.revoked.set(serialNumber, new Date(at));
    }
  }

  private async writeCrl(): Promise<void> {
    const now = this.options.now();
    const thisUpdate = now;
    const nextUpdate = new Date(now.getTime() + CRL_VALIDITY_MS);
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.caCertificate.subject,
      // A minute back: a peer whose clock is a little behind must not see a future CRL.
      thisUpdate: new Date(now.getTime() - 60_000),
      nextUpdate,
      entries: [...this.revoked].map(([serialNumber, revocationDate]) => ({
        serialNumber,
        revocationDate,
        reason: x509.X509CrlReason.cessationOfOperation,
      })),
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: EC_SIGN,
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(this.caCertificate)],
    });
    // OpenSSL (and so node:tls) reads only the "X509 CRL" PEM label.
    this.crl = x509.PemConverter.encode(crl.rawData, 'X509 CRL');
    this.crlThisUpdate = thisUpdate;
    this.crlNextUpdate = nextUpdate;
    writeSecretFile(path.join(this.dir, 'ca', 'ca.crl.pem'), this.crl);
  }
}

/** A positive 128-bit serial in hex (the top bit cleared so DER needs no sign byte). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export { subtle };

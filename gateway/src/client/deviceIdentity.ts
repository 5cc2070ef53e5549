import {
  EC_SIGN,
  generateKeyPair,
  privateKeyFromPem,
  privateKeyToPem,
  subtle,
  x509,
} from '../pki/x509';

/** A device's own P-256 key and, once enrolled, its certificate. The key never leaves it. */
export class DeviceIdentity {
  certificatePem: string | undefined;

  private constructor(
    readonly name: string,
    readonly keys: CryptoKeyPair,
    readonly keyPem: string,
  ) {}

  static async create(name: string): Promise<DeviceIdentity> {
    const keys = await generateKeyPair();
    return new DeviceIdentity(name, keys, await privateKeyToPem(keys.privateKey));
  }

  static async fromPem(
    name: string,
    keyPem: string,
    certificatePem?: string,
  ): Promise<DeviceIdentity> {
    const identity = new DeviceIdentity(name, await privateKeyFromPem(keyPem), keyPem);
    identity.certificatePem = certificatePem;
    return identity;
  }

  /** The CSR for this key; made once, as a device keeps its request across retries. */
  async csr(): Promise<Uint8Array> {
    this.request ??= this.makeCsr();
    return this.request;
  }
  private request: Promise<Uint8Array> | undefined;

  private async makeCsr(): Promise<Uint8Array> {
    const request = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${this.name}`,
      keys: this.keys,
      signingAlgorithm: EC_SIGN,
    });
    return new Uint8Array(request.rawData);
  }

  async publicKeyPem(): Promise<string> {
    const spki = await subtle.exportKey('spki', this.keys.publicKey);
    return x509.PemConverter.encode(spki, 'PUBLIC KEY');
  }

  get certificate(): x509.X509Certificate | undefined {
    return this.certificatePem ? new x509.X509Certificate(this.certificatePem) : undefined;
  }
}

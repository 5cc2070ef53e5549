// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect polyfill
// loaded first; every module of ours that uses x509 imports it from here.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
export const subtle = webcrypto.subtle as unknown as SubtleCrypto;
export const EC_KEY: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const EC_SIGN: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function privateKeyFromPem(pem: string): Promise<CryptoKeyPair> {
  const der = x509.PemConverter.decode(pem)[0]!;
  const privateKey = await subtle.importKey('pkcs8', der, EC_KEY, true, ['sign']);
  // WebCrypto cannot derive a public key from a private one; a JWK round trip keeps x and y.
  const jwk = await subtle.exportKey('jwk', privateKey);
  delete jwk.d;
  jwk.key_ops = ['verify'];
  const publicKey = await subtle.importKey('jwk', jwk, EC_KEY, true, ['verify']);
  return { privateKey, publicKey };
}

export function sha256Hex(data: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(new Uint8Array(data)).digest('hex');
}

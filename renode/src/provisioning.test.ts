import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { provisioningBlock, ProvisioningError, PROVISIONING_MAX_BYTES } from './provisioning';

describe('provisioning block', () => {
  let caPem: string;
  beforeAll(() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prov-ca-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        path.join(dir, 'k.pem'),
        '-out',
        path.join(dir, 'c.pem'),
        '-subj',
        '/CN=ca',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    caPem = readFileSync(path.join(dir, 'c.pem'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
  });
  const base = () => ({
    gateway: '10.0.2.2:8443',
    device: 'dev-1',
    token: 'tok',
    flash: 'f.bin',
    caPem,
  });
  const lines = (b: Buffer) => b.subarray(4, b.indexOf(0)).toString().trim().split('\n');

  it('holds the keys the firmware reads, NUL-terminated after the WBP1 magic', () => {
    const block = provisioningBlock({ ...base(), seed: Buffer.alloc(32, 7) });
    expect(block.subarray(0, 4).toString()).toBe('WBP1');
    expect(block[block.length - 1]).toBe(0);
    const keys = Object.fromEntries(
      lines(block).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(keys).toMatchObject({
      gateway: '10.0.2.2:8443',
      device: 'dev-1',
      token: 'tok',
      flash: 'f.bin',
      server_name: 'localhost',
    });
    expect(keys.seed).toBe('07'.repeat(32));
    expect(Buffer.from(keys.ca!, 'base64').length).toBeGreaterThan(100);
  });

  it('carries the server name the gateway certificate must have', () => {
    const block = provisioningBlock({ ...base(), serverName: 'gw.plant-3.example' });
    expect(lines(block)).toContain('server_name=gw.plant-3.example');
  });

  it('refuses what the device could not use, saying why', () => {
    expect(() => provisioningBlock({ ...base(), gateway: 'gw.example:8443' })).toThrow(
      /A\.B\.C\.D:PORT/,
    );
    expect(() => provisioningBlock({ ...base(), device: 'Dev_1' })).toThrow(ProvisioningError);
    expect(() => provisioningBlock({ ...base(), serverName: 'bad name\nx=y' })).toThrow(
      /server name/,
    );
    expect(() =>
      provisioningBlock({ ...base(), token: 'x'.repeat(PROVISIONING_MAX_BYTES) }),
    ).toThrow(/exceeds 4096/);
  });
});

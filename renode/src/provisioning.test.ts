import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  gatewayList,
  MAX_GATEWAYS,
  provisioningBlock,
  ProvisioningError,
  PROVISIONING_MAX_BYTES,
} from './provisioning';

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

  it('lists several gateways on one line, in the order given', () => {
    const { gateway: _, ...rest } = base();
    const block = provisioningBlock({ ...rest, gateways: ['10.0.2.2:9', '10.0.2.2:8443'] });
    expect(lines(block)).toContain('gateway=10.0.2.2:9,10.0.2.2:8443');
    expect(lines(block).filter(l => l.startsWith('gateway='))).toHaveLength(1);
    // One gateway in either form is the same block line.
    expect(lines(provisioningBlock({ ...rest, gateways: ['10.0.2.2:8443'] }))).toContain(
      'gateway=10.0.2.2:8443',
    );
  });

  it('refuses a gateway list the firmware would refuse, naming the entry', () => {
    const { gateway: _, ...rest } = base();
    const refused = (gateways: string[]) => () => provisioningBlock({ ...rest, gateways });
    expect(refused([])).toThrow(/no gateway/);
    expect(
      refused(Array.from({ length: MAX_GATEWAYS + 1 }, (_, i) => `10.0.2.2:${i + 1}`)),
    ).toThrow(/5 gateways given; a device keeps at most 4/);
    expect(refused(['10.0.2.2:9', '10.0.2.2:9'])).toThrow(/given twice/);
    for (const bad of [
      '010.0.2.2:8443', // octal to inet_aton
      '10.0.2.256:8443',
      '10.0.2:8443',
      '10.0.2.2:0',
      '10.0.2.2:65535', // its enrollment port would be 65536
      '10.0.2.2:08443',
      '10.0.2.2:8443,10.0.2.2:9', // a list inside one entry
      ' 10.0.2.2:8443',
    ])
      expect(refused(['10.0.2.2:9', bad])).toThrow(/gateway 2 must be A\.B\.C\.D:PORT/);
    expect(() => provisioningBlock({ ...base(), gateways: ['10.0.2.2:1'] })).toThrow(/not both/);
    expect(() => provisioningBlock({ ...rest })).toThrow(/no gateway/);
  });

  it('accepts the extremes the firmware accepts', () => {
    expect(gatewayList({ gateways: ['0.0.0.0:1', '255.255.255.255:65534', '10.0.2.2:9'] })).toEqual(
      ['0.0.0.0:1', '255.255.255.255:65534', '10.0.2.2:9'],
    );
    expect(gatewayList({ gateway: '192.168.1.10:443' })).toEqual(['192.168.1.10:443']);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CRD_DIR, renderCrdFiles } from './render';

describe('CRD manifests', () => {
  const generated = renderCrdFiles();

  it('on disk match what the zod source generates (run `npm run crds:generate` after a schema change)', () => {
    const onDisk = readdirSync(CRD_DIR)
      .filter(f => f.endsWith('.yaml'))
      .sort();
    expect(onDisk).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) {
      expect(readFileSync(path.join(CRD_DIR, name), 'utf8')).toBe(text);
    }
  });

  it.each([...generated.keys()])('%s is structural: every node typed, no unions or refs', name => {
    const crd = parse(generated.get(name)!);
    const version = crd.spec.versions[0];
    expect(version.subresources).toEqual({ status: {} });
    expect(crd.spec.names.categories).toContain('wasmbed');
    expect(crd.spec.names.shortNames.length).toBeGreaterThan(0);
    const problems: string[] = [];
    const walk = (node: Record<string, unknown>, at: string) => {
      if (!node.type) problems.push(`${at}: no type`);
      for (const banned of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'nullable']) {
        if (banned in node) problems.push(`${at}: ${banned}`);
      }
      if (node.properties && node.additionalProperties)
        problems.push(`${at}: properties and additionalProperties`);
      for (const [k, v] of Object.entries(
        (node.properties ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        walk(v, `${at}.${k}`);
      }
      if (node.items) walk(node.items as Record<string, unknown>, `${at}[]`);
      if (node.additionalProperties)
        walk(node.additionalProperties as Record<string, unknown>, `${at}{}`);
    };
    walk(version.schema.openAPIV3Schema, '');
    expect(problems).toEqual([]);
    for (const column of version.additionalPrinterColumns) {
      expect(column.jsonPath).toMatch(/^\.(spec|status|metadata)\./);
    }
  });

  it('carries a CEL rule for every cross-field check the zod schemas make', () => {
    const device = parse(generated.get('devices.wasmbed.io.yaml')!);
    const spec = device.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.enrollment['x-kubernetes-validations'][0].rule).toBe(
      'has(self.bootstrapTokenSecretRef) != has(self.publicKey)',
    );
    expect(spec['x-kubernetes-validations'][0].rule).toContain("self.board == 'mps2-an505'");
    const status = device.spec.versions[0].schema.openAPIV3Schema.properties.status;
    expect(status.properties.conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
  });
});

import { MAX_REVOKED_SERIALS } from '@wasmbed/plugin-wasmbed-common';
import { mergeRevocations, revocationEntries } from './revocationList';

describe('revocation list entries', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');

  it("expires the current certificate's serial at its notAfter, the others a year on", () => {
    const entries = revocationEntries(
      ['0A:1B', '2c'],
      { serialNumber: '2C', notAfter: '2026-09-01T00:00:00Z' },
      now,
    );
    expect(entries).toEqual({ '0a1b': '2027-06-01T00:00:00.000Z', '2c': '2026-09-01T00:00:00Z' });
  });

  it('drops expired entries and keeps the latest-expiring ones past the bound', () => {
    expect(
      mergeRevocations(
        { old: '2026-01-01T00:00:00Z', kept: '2027-01-01T00:00:00Z' },
        { add: '2026-07-01T00:00:00Z' },
        now,
      ),
    ).toEqual({
      kept: '2027-01-01T00:00:00Z',
      add: '2026-07-01T00:00:00Z',
    });
    const many: Record<string, string> = {};
    for (let i = 0; i < MAX_REVOKED_SERIALS + 5; i++)
      many[i.toString(16)] = new Date(now + (i + 1) * 60_000).toISOString();
    const merged = mergeRevocations(many, {}, now);
    expect(Object.keys(merged)).toHaveLength(MAX_REVOKED_SERIALS);
    expect(merged['0']).toBeUndefined(); // the soonest to expire went first
    expect(merged[(MAX_REVOKED_SERIALS + 4).toString(16)]).toBeDefined();
  });
});

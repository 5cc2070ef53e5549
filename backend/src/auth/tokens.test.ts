import { parseTokenFile, TokenAuthenticator } from './tokens';

describe('the static token file (kube-apiserver --token-auth-file format)', () => {
  it('reads token,user,uid and quoted groups; blank lines are skipped', () => {
    const users = parseTokenFile('t1,alice,u1,"g1,g2"\n\nt2,bob,u2\nt3,carol,u3,single\n', 'f');
    expect(users.get('t1')).toEqual({ name: 'alice', uid: 'u1', groups: ['g1', 'g2'] });
    expect(users.get('t2')).toEqual({ name: 'bob', uid: 'u2', groups: [] });
    expect(users.get('t3')?.groups).toEqual(['single']);
  });

  it.each([['t1,alice'], ['t1,alice,u1,"g1'], [',alice,u1']])(
    'refuses the malformed line %j, naming it',
    line => {
      expect(() => parseTokenFile(`ok,a,b\n${line}\n`, 'tokens.csv')).toThrow(/^tokens\.csv:2: /);
    },
  );

  it('authenticates a Bearer header and adds system:authenticated', () => {
    const auth = new TokenAuthenticator(parseTokenFile('secret,alice,u1,"g1"', 'f'));
    expect(auth.authenticate('Bearer secret')).toEqual({
      name: 'alice',
      uid: 'u1',
      groups: ['g1', 'system:authenticated'],
    });
    for (const header of [
      undefined,
      'Bearer other',
      'Basic secret',
      'Bearer',
      'Bearer secret extra',
    ]) {
      expect(auth.authenticate(header)).toBeUndefined();
    }
  });
});

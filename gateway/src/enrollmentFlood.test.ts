import { connectTls } from './client/deviceClient';
import { DeviceIdentity } from './client/deviceIdentity';
import { AttemptLimiter } from './session/attemptLimiter';
import { RequestError, FramedConnection } from './transport/framedConnection';
import { startTestGateway, type TestGateway } from './testSupport';

describe('enrollment attempts under a flood of made-up device names', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ enrollAttempts: { max: 3, windowMs: 60_000 } });
  });
  afterAll(() => t.stop());

  /** One enroll for `device` on its own connection (the gateway takes one per connection). */
  async function enrollAs(device: string, csr: Uint8Array): Promise<string> {
    const socket = await connectTls({
      host: '127.0.0.1',
      port: t.gateway.enrollPort,
      ca: [t.address.caPem],
      servername: 'localhost',
    });
    const c = new FramedConnection(socket);
    try {
      await c.request({ type: 'enroll', id: c.nextId(), device, csr, token: 'guess' }, [
        'enrolled',
      ]);
      return 'enrolled';
    } catch (err) {
      return (err as RequestError).reply?.code ?? (err as Error).message;
    } finally {
      c.destroy('done');
    }
  }

  it('keeps no attempt entry for unknown names, and a registered device still enrolls', async () => {
    const csr = await (await DeviceIdentity.create('stranger')).csr();
    const names = Array.from({ length: 300 }, (_, i) => `made-up-${i}`);
    const answers: string[] = [];
    for (let i = 0; i < names.length; i += 30)
      answers.push(...(await Promise.all(names.slice(i, i + 30).map(n => enrollAs(n, csr)))));
    expect(new Set(answers)).toEqual(new Set(['unauthorized']));
    // The attempt table is bounded by the fleet: none of those names is in it.
    expect(t.gateway.enrollAttempts.size).toBe(0);

    const { client, token } = await t.device('legitimate');
    await client.enroll(token);
    expect(t.gateway.enrollAttempts.size).toBe(1);
  });
});

describe('AttemptLimiter', () => {
  it('never refuses a new key because the table is large, and sheds expired windows', () => {
    let now = 0;
    const limiter = new AttemptLimiter(2, 1000, () => now);
    // More keys in one window than the old fixed cap (100,000) allowed.
    let refused = 0;
    for (let i = 0; i < 100_001; i++) if (!limiter.take(`k${i}`)) refused++;
    expect(refused).toBe(0);
    for (let round = 1; round <= 5; round++) {
      now = round * 1000;
      for (let i = 0; i < 5000; i++) limiter.take(`r${round}-${i}`);
      // Only what tried in the current window is kept.
      expect(limiter.size).toBeLessThanOrEqual(5000);
    }
  });

  it('still limits each key to its attempts per window', () => {
    let now = 0;
    const limiter = new AttemptLimiter(2, 1000, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false]);
    expect(limiter.retryAfterMs('a')).toBe(1000);
    expect(limiter.take('b')).toBe(true);
    now = 1000;
    expect(limiter.take('a')).toBe(true);
  });
});

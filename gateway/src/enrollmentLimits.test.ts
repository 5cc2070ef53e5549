import { connectTls, DeviceClient } from './client/deviceClient';
import { DeviceIdentity } from './client/deviceIdentity';
import { MAX_APPS_PER_DEVICE } from './controlPlane/types';
import { encodeFrame } from './protocol/codec';
import { FramedConnection } from './transport/framedConnection';
import { eventually, startTestGateway, type TestGateway } from './testSupport';

describe('enrollment attempts are limited', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ enrollAttempts: { max: 3, windowMs: 60_000 } });
  });
  afterAll(() => t.stop());

  it('takes exactly one enroll per connection: a second is not verified, its token not spent', async () => {
    const a = await t.device('one-a');
    const b = await t.device('one-b');
    const socket = await connectTls({
      host: '127.0.0.1',
      port: t.gateway.enrollPort,
      ca: [t.address.caPem],
      servername: 'localhost',
    });
    const c = new FramedConnection(socket);
    const answers: string[] = [];
    c.on('message', m => void answers.push(m.type));
    const closed = new Promise<string>(r => c.once('close', r));
    const enroll = async (client: DeviceClient, token: string) => ({
      type: 'enroll' as const,
      id: c.nextId(),
      device: client.identity.name,
      csr: await client.identity.csr(),
      token,
    });
    const [first, second] = [await enroll(a.client, a.token), await enroll(b.client, b.token)];
    const verified = jest.spyOn(t.gateway.authority, 'issueDeviceCertificate');
    // One write, one TLS record: both frames reach the gateway in the same chunk.
    socket.write(Buffer.concat([encodeFrame(first), encodeFrame(second)]));
    await closed;
    expect(answers.filter(type => type === 'enrolled').length).toBeLessThanOrEqual(1);
    // Time for a second enroll, had it been taken, to be verified and its token spent.
    await new Promise(r => setTimeout(r, 500));
    expect(t.logLines.filter(l => l.device === 'one-b')).toEqual([]);
    expect(verified).toHaveBeenCalledTimes(1);
    verified.mockRestore();
    // one-b's token was never looked at: it still enrolls.
    await b.client.enroll(b.token);
  });

  it('locks a device name out after too many attempts, even with the right token', async () => {
    const { client, token } = await t.device('guessed');
    for (let i = 0; i < 3; i++)
      await expect(client.enroll(`wrong-guess-${i}`)).rejects.toMatchObject({
        code: 'tokenInvalid',
      });
    const locked = await client.enroll(token).catch((e: Error) => e);
    expect(locked).toMatchObject({ code: 'rateLimited' });
    expect((locked as Error).message).toMatch(
      /too many enrollment attempts for guessed: at most 3 per 60 s; try again in \d+ s/,
    );
    // Another device is not affected.
    const other = await t.device('not-guessed');
    await other.client.enroll(other.token);
  });

  it('an anonymous enroll does not change the phase a connected device reports', async () => {
    const device = await t.connectedDevice('phase-kept');
    expect(t.controlPlane.observed('phase-kept')?.phase).toBe('Connected');
    const stranger = new DeviceClient(await DeviceIdentity.create('phase-kept'), t.address);
    await expect(stranger.enroll('not-the-token')).rejects.toMatchObject({ code: 'tokenInvalid' });
    await expect(stranger.enroll()).rejects.toMatchObject({ code: 'tokenInvalid' });
    expect(t.controlPlane.observed('phase-kept')?.phase).toBe('Connected');
    device.close();
  });

  it('closes a session that reports more apps than any device holds', async () => {
    const device = await t.connectedDevice('many-apps');
    const closed = new Promise<string>(r => device.once('closed', r));
    for (let i = 0; i <= MAX_APPS_PER_DEVICE && !device.connection!.closed; i++) {
      device.connection!.send({
        type: 'appStatus',
        id: device.connection!.nextId(),
        app: `made-up-${i}`,
        state: 'running',
        sha256: new Uint8Array(32),
      });
    }
    await closed;
    const line = await eventually(() =>
      t.logLines.find(l => l.device === 'many-apps' && l.msg === 'refusing session'),
    );
    expect(String(line.reason)).toMatch(/appStatus for more than 32 apps/);
    expect(Object.keys(t.controlPlane.appObservations('many-apps')).length).toBeLessThanOrEqual(
      MAX_APPS_PER_DEVICE,
    );
  });
});

import { duplexPair } from 'node:stream';
import { encodeFrame } from '../protocol/codec';
import type { Message } from '../protocol/messages';
import { FramedConnection } from './framedConnection';

const heartbeat = (id: number): Message => ({ type: 'heartbeat', id, uptimeMs: 1 });

/** A connection on one end of an in-memory stream, and the raw other end. */
function pair(options = {}) {
  const [ours, theirs] = duplexPair();
  const connection = new FramedConnection(ours, options);
  const closed = new Promise<string>(resolve => connection.once('close', resolve));
  return { connection, theirs, closed };
}

describe('FramedConnection: a fault in handling one peer closes that peer only', () => {
  it('a message listener that throws closes the connection with the reason, nothing escapes', async () => {
    const { connection, theirs, closed } = pair();
    connection.on('message', () => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    theirs.write(encodeFrame(heartbeat(1)));
    expect(await closed).toMatch(/internal error handling data: Maximum call stack/);
    expect(connection.socket.destroyed).toBe(true);
  });

  it('an async message listener that rejects closes the connection too', async () => {
    const { connection, theirs, closed } = pair();
    connection.on('message', async () => {
      await Promise.resolve();
      throw new Error('control plane exploded');
    });
    theirs.write(encodeFrame(heartbeat(1)));
    expect(await closed).toMatch(/internal error handling message: control plane exploded/);
  });

  it('a protocolError or close listener that throws is contained as well', async () => {
    const a = pair();
    a.connection.on('protocolError', () => {
      throw new Error('from protocolError');
    });
    a.theirs.write(Buffer.from('00000003ffffff', 'hex'));
    expect(await a.closed).toMatch(/from protocolError/);

    const b = pair();
    b.connection.on('close', () => {
      throw new Error('from close');
    });
    expect(() => b.connection.close('done')).not.toThrow();
    expect(b.connection.closed).toBe(true);
    expect(b.connection.socket.destroyed).toBe(true);
  });

  it('other connections carry on', async () => {
    const bad = pair();
    const good = pair();
    bad.connection.on('message', () => {
      throw new Error('boom');
    });
    const seen: number[] = [];
    good.connection.on('message', m => void seen.push(m.id));
    bad.theirs.write(encodeFrame(heartbeat(1)));
    good.theirs.write(encodeFrame(heartbeat(2)));
    await bad.closed;
    good.theirs.write(encodeFrame(heartbeat(3)));
    await new Promise(r => setImmediate(r));
    expect(seen).toEqual([2, 3]);
    expect(good.connection.closed).toBe(false);
  });
});

describe('FramedConnection: output queued for a peer is bounded', () => {
  it('destroys a peer that does not read once its queue would pass the bound', async () => {
    const { connection, closed } = pair({ maxQueuedBytes: 4096 });
    // The other end never reads: everything sent stays queued on our side.
    let sent = 0;
    while (!connection.closed && sent < 10_000) {
      connection.send({ type: 'heartbeatAck', id: sent, serverTimeMs: Date.now() });
      sent++;
      expect(connection.queuedBytes).toBeLessThanOrEqual(4096);
    }
    expect(await closed).toMatch(/peer is not reading: \d+ bytes queued, limit 4096/);
    expect(sent).toBeLessThan(10_000);
  });
});

import { certificateFacts } from '../pki/enrollmentAuthority';
import type { Logger } from 'pino';
import type { ControlPlane } from '../controlPlane/types';
import { EnrollmentAuthority, EnrollmentError } from '../pki/enrollmentAuthority';
import { MAX_ERROR_MESSAGE_BYTES } from '../protocol/limits';
import type { ERROR_CODES, Message } from '../protocol/messages';
import { truncateUtf8 } from '../protocol/text';
import type { FramedConnection } from '../transport/framedConnection';

class Refusal extends Error {
  constructor(
    readonly code: (typeof ERROR_CODES)[number],
    message: string,
  ) {
    super(message);
  }
}

/**
 * One enrollment connection (no client certificate): exactly one `enroll`, answered with a
 * certificate or a refusal, then the connection is closed.
 */
export function serveEnrollment(
  connection: FramedConnection,
  controlPlane: ControlPlane,
  authority: EnrollmentAuthority,
  log: Logger,
  timeoutMs: number,
  onResult: (ok: boolean, reason: string) => void,
): void {
  const timer = setTimeout(() => finish(false, 'no enroll message in time'), timeoutMs);
  timer.unref();
  let done = false;
  const finish = (ok: boolean, reason: string, reply?: Message) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (reply && !connection.closed) connection.send(reply);
    connection.close(reason);
    onResult(ok, reason);
  };
  connection.on('protocolError', err =>
    finish(false, err.message, {
      type: 'error',
      id: 0,
      code: 'badFrame',
      message: truncateUtf8(err.message, MAX_ERROR_MESSAGE_BYTES),
    }),
  );
  connection.on('close', reason => finish(false, reason));
  connection.on('message', async m => {
    if (m.type !== 'enroll') {
      return finish(false, `${m.type} on an enrollment session`, {
        type: 'error',
        id: m.id,
        code: 'notEnrolled',
        message: 'only enroll is accepted without a device certificate',
      });
    }
    const deviceLog = log.child({ device: m.device });
    try {
      const record = await controlPlane.getDevice(m.device);
      if (!record) throw new Refusal('unauthorized', `no device named ${m.device}`);
      if (record.revoked) throw new Refusal('unauthorized', `device ${m.device} is revoked`);
      await controlPlane.reportDevice(m.device, { phase: 'Enrolling' });
      const cert = await authority.issueDeviceCertificate(
        m.device,
        m.csr,
        record.pinnedPublicKeyPem,
        async () => {
          if (record.pinnedPublicKeyPem !== undefined) return; // the key itself is the credential
          if (m.token === undefined)
            throw new Refusal('tokenInvalid', 'a bootstrap token is required');
          const verdict = await controlPlane.redeemBootstrapToken(m.device, m.token);
          if (verdict !== 'ok') throw new Refusal(verdict, explain[verdict]);
        },
      );
      await controlPlane.reportDevice(m.device, {
        phase: 'Enrolled',
        certificate: certificateFacts(cert),
      });
      deviceLog.info({ serial: cert.serialNumber, notAfter: cert.notAfter }, 'device enrolled');
      finish(true, 'enrolled', {
        type: 'enrolled',
        id: m.id,
        certificate: cert.der,
        notAfter: Math.floor(cert.notAfter.getTime() / 1000),
      });
    } catch (err) {
      const code =
        err instanceof Refusal
          ? err.code
          : err instanceof EnrollmentError
            ? 'unauthorized'
            : 'internal';
      const message = (err as Error).message;
      deviceLog.warn({ code, reason: message }, 'enrollment refused');
      finish(false, message, {
        type: 'error',
        id: m.id,
        code,
        message: truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES),
      });
    }
  });
}

const explain = {
  tokenInvalid: 'bootstrap token is not valid for this device',
  tokenExpired: 'bootstrap token has expired',
  tokenUsed: 'bootstrap token was already used',
} as const;

import { certificateFacts } from '../pki/enrollmentAuthority';
import type { Logger } from 'pino';
import { type ControlPlane, StateLimitError } from '../controlPlane/types';
import { EnrollmentAuthority, EnrollmentError } from '../pki/enrollmentAuthority';
import { MAX_ERROR_MESSAGE_BYTES } from '../protocol/limits';
import type { ERROR_CODES, Message } from '../protocol/messages';
import { truncateUtf8 } from '../protocol/text';
import type { FramedConnection } from '../transport/framedConnection';
import type { AttemptLimiter } from './attemptLimiter';

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
 * certificate or a refusal, then the connection is closed. Any second message is a protocol
 * violation and ends the connection at once; attempts per device name are limited by
 * `attempts` across connections.
 */
export function serveEnrollment(
  connection: FramedConnection,
  controlPlane: ControlPlane,
  authority: EnrollmentAuthority,
  log: Logger,
  timeoutMs: number,
  attempts: AttemptLimiter,
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
  let received = false;
  // Async: a rejection (a defect below) is caught by the connection and closes only it.
  connection.on('message', async m => {
    if (received) {
      // The first enroll is still being answered: a second one is refused, not verified.
      return finish(false, `${m.type} after enroll on an enrollment session`);
    }
    received = true;
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
      // Counted for known names only, so the table is bounded by the fleet, not by attackers.
      if (!attempts.take(m.device)) {
        const seconds = Math.ceil(attempts.retryAfterMs(m.device) / 1000);
        throw new Refusal(
          'rateLimited',
          `too many enrollment attempts for ${m.device}: at most ${attempts.max} per ${attempts.windowMs / 1000} s; try again in ${seconds} s`,
        );
      }
      if (record.revoked) throw new Refusal('unauthorized', `device ${m.device} is revoked`);
      const cert = await authority.issueDeviceCertificate(
        m.device,
        m.csr,
        record.pinnedPublicKeyPem,
        async () => {
          if (record.pinnedPublicKeyPem === undefined) {
            // (With a pinned key, the key itself is the credential, checked before this.)
            if (m.token === undefined)
              throw new Refusal('tokenInvalid', 'a bootstrap token is required');
            const verdict = await controlPlane.redeemBootstrapToken(m.device, m.token);
            if (verdict !== 'ok') throw new Refusal(verdict, explain[verdict]);
          }
          // Only now: an anonymous peer must not change what a connected device reports.
          await controlPlane.reportDevice(m.device, { phase: 'Enrolling' });
        },
      );
      // Resolves once the serial is on disk: a certificate no CRL could name never leaves.
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
          : err instanceof EnrollmentError || err instanceof StateLimitError
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

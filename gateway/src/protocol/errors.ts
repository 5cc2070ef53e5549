/**
 * Every way a frame can be refused. The names are part of the protocol contract: the golden
 * vectors in test/vectors/protocol/malformed name the code each one must produce.
 */
export const PROTOCOL_ERROR_CODES = [
  'TruncatedFrame',
  'FrameTooLarge',
  'MalformedCbor',
  'NonCanonicalEncoding',
  'NotAMap',
  'UnknownMessageType',
  'UnknownField',
  'MissingField',
  'InvalidField',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export * from './errors';
export * from './limits';
export * from './messages';
export * from './schema';
export { decodeMessage, encodeMessage, decodeFrame, encodeFrame, TYPE_KEY, ID_KEY } from './codec';
export { FrameReader, type FrameResult } from './frameReader';
export { encodeCbor, decodeCbor, type CborValue } from './cbor';
export { truncateUtf8 } from './text';

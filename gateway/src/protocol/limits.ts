/** Wire version spoken by this codec; hello carries it and a gateway refuses another major. */
export const PROTOCOL_VERSION = 1;

/** Largest CBOR payload of one frame (the u32 length prefix not included); sized for device RAM. */
export const MAX_FRAME_BYTES = 4096;

/** Largest module data carried by one deployChunk, leaving room for the envelope in a frame. */
export const MAX_CHUNK_BYTES = 2048;

/** Map keys below this are fields of this version: unknown ones are refused. Keys at or above
 * it are extensions a receiver ignores, so later versions can add optional fields. */
export const FIRST_EXTENSION_KEY = 32;

export const FRAME_HEADER_BYTES = 4;

/** Deepest nesting the decoders accept (the root item is level 0). The deepest message
 * (hello.apps[i].name) needs 3; the bound keeps recursion far from any stack limit. */
export const MAX_CBOR_DEPTH = 16;

/** Largest error.message in UTF-8 bytes; text from a peer is cut to it with truncateUtf8. */
export const MAX_ERROR_MESSAGE_BYTES = 256;

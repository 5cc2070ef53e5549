const utf8 = new TextEncoder();

/**
 * The longest prefix of `text` that fits in `maxBytes` bytes of UTF-8, cut on a code-point
 * boundary. Text fields are bounded in UTF-8 bytes on the wire (docs/protocol.md §6), while
 * String.prototype.slice counts UTF-16 units: a message of 256 units can be 768 bytes, and
 * slicing can split a surrogate pair. Anything that puts text a peer may have influenced
 * (an error message quoting its input) into an outgoing message cuts it with this.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Fast path: at most 3 bytes per UTF-16 unit, so short text fits without encoding it.
  if (text.length * 3 <= maxBytes) return text;
  const buffer = new Uint8Array(maxBytes);
  const { read } = utf8.encodeInto(text, buffer);
  // encodeInto stops before a code point that does not fit whole, never inside one; `read`
  // counts UTF-16 units, so the slice ends between code points too. A lone surrogate encodes
  // as U+FFFD (3 bytes), which the bound already accounts for.
  return text.slice(0, read);
}

/* libFuzzer target: wb_decode_frame on the input, the frame reader over the input cut in
 * pieces, and decode -> encode -> decode agreement for every frame that decodes. */
#include <stdlib.h>
#include <string.h>
#include "wasmbed_proto.h"
#include "../test/msg_equal.h"

static wb_message m1, m2;
static uint8_t enc1[WB_FRAME_BUFFER_BYTES], enc2[WB_FRAME_BUFFER_BYTES];
static uint8_t rbuf[WB_FRAME_BUFFER_BYTES];

static void round_trip(const uint8_t *frame, size_t n) {
  size_t l1, l2;
  char why[128];
  if (wb_decode_frame(frame, n, &m1) != WB_OK) return;
  if (wb_encode(&m1, enc1, sizeof enc1, &l1) != WB_OK) abort();  /* a decoded message re-encodes */
  if (l1 > n || (l1 == n && memcmp(enc1, frame, n) != 0)) abort(); /* same bytes unless extensions dropped */
  if (wb_decode_frame(enc1, l1, &m2) != WB_OK) abort();
  if (!wb_msg_equal(&m1, &m2, why, sizeof why)) abort();
  if (wb_encode(&m2, enc2, sizeof enc2, &l2) != WB_OK || l2 != l1 || memcmp(enc1, enc2, l1) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wb_frame_reader r;
  size_t i = 0, piece = 1;
  round_trip(data, size);
  /* the same bytes as a stream, in pieces of varying size */
  wb_frame_reader_init(&r, rbuf, sizeof rbuf);
  while (i < size) {
    size_t used, take = size - i < piece ? size - i : piece;
    wb_fr_status st = wb_frame_reader_push(&r, data + i, take, &used);
    if (used > take) abort();
    i += used;
    if (st == WB_FR_TOO_LARGE) break;
    if (st == WB_FR_FRAME) {
      if (r.frame_len < 4 || r.frame_len > sizeof rbuf) abort();
      round_trip(r.buf, r.frame_len);
    } else if (used != take) {
      abort();
    }
    piece = (piece * 7 + data[i - (i > 0)]) % 97 + 1;
  }
  return 0;
}

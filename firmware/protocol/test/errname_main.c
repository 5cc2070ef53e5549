/* Prints "<file> <error name>" for each frame file given: wb_decode_frame's verdict. */
#include <stdio.h>
#include "wasmbed_proto.h"

static unsigned char buf[1 << 16];
static wb_message msg;

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    size_t n;
    if (!f) { printf("%s UNREADABLE\n", argv[i]); continue; }
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    printf("%s %s\n", argv[i], wb_error_name(wb_decode_frame(buf, n, &msg)));
  }
  return 0;
}

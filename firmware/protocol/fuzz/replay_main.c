/* Non-libFuzzer driver: runs LLVMFuzzerTestOneInput on every file given (or in a directory). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  static uint8_t buf[1 << 20];
  FILE *fp = fopen(path, "rb");
  size_t n;
  uint8_t *copy;
  if (!fp) return -1;
  n = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  copy = malloc(n ? n : 1); /* exact-size copy so ASan sees reads past the end */
  if (!copy) return -1;
  memcpy(copy, buf, n);
  LLVMFuzzerTestOneInput(copy, n);
  free(copy);
  return 0;
}

int main(int argc, char **argv) {
  int files = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR *dp = opendir(argv[a]);
      struct dirent *de;
      char path[4096];
      while (dp && (de = readdir(dp))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", argv[a], de->d_name);
        if (run_file(path) == 0) files++;
      }
      if (dp) closedir(dp);
    } else if (run_file(argv[a]) == 0) {
      files++;
    }
  }
  printf("replayed %d inputs\n", files);
  return files > 0 ? 0 : 1;
}

/* Replays files (or every file in directories) through the fuzz target
 * without libFuzzer; built with ASan+UBSan for the test command. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (!f) return;
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) { LLVMFuzzerTestOneInput(buf, (size_t)n); count++; }
    free(buf);
    fclose(f);
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[4096];
        if (!d) return;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            run_path(sub);
        }
        closedir(d);
    } else run_file(path);
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) run_path(argv[i]);
    printf("replayed %d inputs\n", count);
    return 0;
}

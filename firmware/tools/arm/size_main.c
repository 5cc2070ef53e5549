/* Minimal Cortex-M image used only to measure the linked size of the
 * interpreter (core + the libgcc/libm routines it pulls in). */
#include "wasm.h"

static uint8_t arena_buf[16384];
static wasm_exec ex;

int main(void)
{
    wasm_arena a;
    wasm_module *m;
    wasm_instance *inst;
    wasm_error err;
    wasm_func *f;
    wasm_val r;
    static const uint8_t mod[8] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
    wasm_arena_init(&a, arena_buf, sizeof arena_buf);
    if (wasm_exec_init(&ex, &a, 256, 32) != WASM_OK) return 1;
    if (wasm_load(&m, mod, sizeof mod, &a, &err) != WASM_OK) return 2;
    if (wasm_instantiate(&inst, m, 0, 0, 0, &a, &ex, &err) != WASM_OK) return 3;
    f = wasm_instance_func(inst, "run");
    if (f) wasm_call(&ex, f, 0, 0, &r, 1, 1000);
    return 0;
}

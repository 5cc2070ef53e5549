/*
 * Wasmbed WebAssembly interpreter -- public embedding API.
 *
 * Portable C99, no malloc: every byte the interpreter touches comes from a
 * caller-provided arena (wasm_arena) or from caller-owned structs.
 *
 * Life of a module:
 *   wasm_load()         parse + validate + pre-decode into the module arena.
 *                       The module bytes are referenced in place (may be flash)
 *                       and must outlive the module.
 *   wasm_instantiate()  bind imports, allocate globals/tables/memory from the
 *                       instance arena, run segments and the start function.
 *   wasm_call()         run an export under the limits of a wasm_exec.
 *
 * Supported: WebAssembly 1.0 + sign-extension, non-trapping float-to-int,
 * multi-value, bulk memory, reference types. No SIMD, threads, tail calls.
 * Little-endian hosts only (all Cortex-M and x86/arm64 hosts qualify).
 */
#ifndef WASMBED_WASM_H
#define WASMBED_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Limits that bound what a module may declare (all checked at load). */
#define WASM_PAGE_SIZE          65536u
#define WASM_MAX_PAGES          65536u   /* 4 GiB, the wasm32 ceiling      */
#define WASM_MAX_PARAMS         1000u    /* per function type              */
#define WASM_MAX_LOCALS         50000u   /* params + declared locals       */
#define WASM_MAX_BLOCK_DEPTH    4096u    /* nesting of block/loop/if       */
#define WASM_MAX_OPERAND_DEPTH  65535u   /* validation operand stack       */
#define WASM_MAX_TABLE_ELEMS    10000000u
#define WASM_HOST_MAX_SIG       16u      /* chars in a host signature      */

typedef enum {
    WASM_OK = 0,
    WASM_ERR_MALFORMED,     /* binary cannot be decoded                 */
    WASM_ERR_INVALID,       /* decodes but fails validation             */
    WASM_ERR_LINK,          /* import missing or of the wrong type      */
    WASM_ERR_NOMEM,         /* an arena is too small                    */
    WASM_ERR_TRAP           /* execution trapped (see wasm_exec.trap)   */
} wasm_status;

typedef enum {
    WASM_TRAP_NONE = 0,
    WASM_TRAP_UNREACHABLE,
    WASM_TRAP_MEMORY_OOB,
    WASM_TRAP_TABLE_OOB,
    WASM_TRAP_DIV_ZERO,
    WASM_TRAP_INT_OVERFLOW,
    WASM_TRAP_INVALID_CONVERSION,
    WASM_TRAP_INDIRECT_TYPE,
    WASM_TRAP_UNDEFINED_ELEMENT,
    WASM_TRAP_UNINITIALIZED_ELEMENT,
    WASM_TRAP_OUT_OF_FUEL,
    WASM_TRAP_STACK_EXHAUSTED,
    WASM_TRAP_MEMORY_CAP,       /* memory.grow past the embedder's cap   */
    WASM_TRAP_HOST,             /* a host function reported an error     */
    WASM_TRAP_COUNT
} wasm_trap;

/* Value types use their binary encodings. */
enum {
    WASM_I32 = 0x7F, WASM_I64 = 0x7E, WASM_F32 = 0x7D, WASM_F64 = 0x7C,
    WASM_FUNCREF = 0x70, WASM_EXTERNREF = 0x6F
};

/* External kinds, as in the import/export sections. */
enum { WASM_EXTERN_FUNC = 0, WASM_EXTERN_TABLE = 1, WASM_EXTERN_MEMORY = 2,
       WASM_EXTERN_GLOBAL = 3 };

/* One operand slot. Floats are stored as their bits (use .i32/.i64 to keep
 * NaN payloads exact); references are pointers, NULL is ref.null. */
typedef union {
    uint32_t i32;
    uint64_t i64;
    float    f32;
    double   f64;
    void    *ref;
} wasm_val;

/* Double-ended bump arena: long-lived data grows from the bottom, scratch
 * (used only while loading) from the top, so scratch never fragments. */
typedef struct {
    uint8_t *base;
    size_t   size;
    size_t   lo;      /* bytes used from the bottom */
    size_t   hi;      /* bytes used from the top    */
} wasm_arena;

void  wasm_arena_init(wasm_arena *a, void *buf, size_t size);
void *wasm_arena_alloc(wasm_arena *a, size_t n);   /* 8-aligned, zeroed */

/* ---- Opaque-ish objects. Fields are visible only so callers can size and
 * own them; treat them as private. */
typedef struct wasm_module   wasm_module;
typedef struct wasm_instance wasm_instance;
typedef struct wasm_exec     wasm_exec;
typedef struct wasm_func     wasm_func;

typedef struct { uint32_t np, nr; const uint8_t *p, *r; } wasm_functype;

/* Host functions read their arguments from sp[0..np) and write results to
 * sp[0..nr). Returning anything but WASM_TRAP_NONE traps the caller. */
typedef wasm_trap (*wasm_host_fn)(wasm_exec *ex, void *env, wasm_val *sp);

struct wasm_func {
    const wasm_functype *type;
    wasm_instance *inst;        /* NULL for host functions */
    const void    *code;        /* compiled body (struct wasm_code) */
    wasm_host_fn   host;
    void          *env;
    wasm_functype  htype;       /* storage for host signatures */
    uint8_t        hsig[WASM_HOST_MAX_SIG];
};

typedef struct {
    uint8_t  elemtype, has_max;
    uint32_t size;
    uint32_t max;               /* declared maximum (linking)            */
    uint32_t cap;               /* entries allocated = growth limit      */
    void   **elems;
} wasm_table;

typedef struct {
    uint8_t *data;
    uint8_t  has_max;
    uint32_t pages;
    uint32_t max_pages;         /* pages reserved = growth limit (cap)   */
    uint32_t decl_max;          /* declared max (or WASM_MAX_PAGES)      */
    uint64_t bytes;             /* pages * WASM_PAGE_SIZE                */
} wasm_memory;

typedef struct {
    wasm_val v;
    uint8_t  type, mut;
} wasm_global;

typedef struct {
    uint8_t kind;               /* WASM_EXTERN_* */
    union { wasm_func *func; wasm_table *table; wasm_memory *mem;
            wasm_global *global; } u;
} wasm_extern;

/* Resolves one import; return 0 if not found. */
typedef int (*wasm_resolve_fn)(void *ctx, const char *module, uint32_t mlen,
                               const char *name, uint32_t nlen,
                               wasm_extern *out);

/* Embedder limits applied at instantiation. Zero fields mean "default". */
typedef struct {
    uint32_t max_memory_pages;  /* cap on linear memory; default 1         */
    uint32_t max_table_elems;   /* cap on table size; default 1024         */
    int      trap_on_memory_cap;/* grow past cap traps instead of -1       */
    int64_t  start_fuel;        /* fuel for the start function; 0 = none   */
} wasm_limits;

/* Execution context: operand stack, call frames, fuel, last trap. */
typedef struct { const void *pc; wasm_val *fp; wasm_instance *inst; } wasm_frame;

struct wasm_exec {
    wasm_val   *stack, *stack_end;
    wasm_frame *frames;
    uint32_t    nframes, max_frames;
    int64_t     fuel;           /* remaining; negative after out-of-fuel  */
    int         fuel_enabled;   /* 0 when the call was unmetered */
    wasm_trap   trap;
    const char *trap_msg;
    wasm_instance *caller;      /* instance calling the current host fn */
};

/* Carve the value stack (stack_slots * 8 bytes) and frame stack
 * (max_depth * sizeof(wasm_frame)) out of arena. */
wasm_status wasm_exec_init(wasm_exec *ex, wasm_arena *arena,
                           uint32_t stack_slots, uint32_t max_depth);

/* ---- Module */
typedef struct { const char *msg; uint32_t offset; } wasm_error;

wasm_status wasm_load(wasm_module **out, const uint8_t *bytes, size_t len,
                      wasm_arena *arena, wasm_error *err);

/* Linear memory the module defines (not imports): returns 0 if none, else
 * 1 with its declared minimum and maximum pages (WASM_MAX_PAGES if no
 * maximum). Lets an embedder size the instance arena before instantiating. */
int wasm_module_memory(const wasm_module *m, uint32_t *min_pages, uint32_t *max_pages);

uint32_t wasm_module_export_count(const wasm_module *m);
const char *wasm_module_export_name(const wasm_module *m, uint32_t i,
                                    uint32_t *len, uint8_t *kind);

/* ---- Instance */
wasm_status wasm_instantiate(wasm_instance **out, const wasm_module *m,
                             wasm_resolve_fn resolve, void *resolve_ctx,
                             const wasm_limits *limits, wasm_arena *arena,
                             wasm_exec *ex, wasm_error *err);

int  wasm_instance_export(wasm_instance *inst, const char *name,
                          uint32_t nlen, wasm_extern *out);
wasm_func *wasm_instance_func(wasm_instance *inst, const char *name);
wasm_memory *wasm_instance_memory(wasm_instance *inst);

/* Host functions. sig is params ':' results, one letter per value:
 * i=i32 I=i64 f=f32 F=f64 r=funcref e=externref, e.g. "ii:i". */
wasm_status wasm_host_func_init(wasm_func *f, const char *sig,
                                wasm_host_fn fn, void *env);

/* Call a function: args[0..nargs), results[0..nresults). The counts must
 * equal the function type's (and a non-zero count needs a non-NULL array),
 * else WASM_ERR_INVALID and nothing runs: a module chooses its own export
 * types, so a caller's guess is never trusted with a pointer. fuel < 0
 * disables metering. On WASM_ERR_TRAP, ex->trap and ex->trap_msg say why;
 * the exec context is reset and may be reused immediately. */
wasm_status wasm_call(wasm_exec *ex, wasm_func *f, const wasm_val *args, uint32_t nargs,
                      wasm_val *results, uint32_t nresults, int64_t fuel);

/* 1 if a type is exactly sig (the letters of wasm_host_func_init, e.g.
 * "iiii:i", ":" for no params and no results), else 0. */
int wasm_functype_is(const wasm_functype *t, const char *sig);
int wasm_func_has_sig(const wasm_func *f, const char *sig);
/* The type of the module's function export name, NULL if it exports no
 * function of that name: lets an embedder check the exports it will call
 * before instantiating (and so before any of the module's code runs). */
const wasm_functype *wasm_module_export_functype(const wasm_module *m, const char *name);

const char *wasm_trap_message(wasm_trap t);

/* For host functions: the linear memory of the calling instance (NULL if
 * it has none). Check every guest-supplied range against ->bytes. */
wasm_memory *wasm_exec_memory(wasm_exec *ex);

#ifdef __cplusplus
}
#endif
#endif

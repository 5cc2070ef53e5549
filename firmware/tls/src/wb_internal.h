/* Internal glue shared by the wb_tls sources. */
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H

#include "wb_tls.h"

int   wb_heap_setup(void *arena, size_t size);
int   wb_heap_active(void);
int   wb_heap_owns(const void *p);
void *wb_heap_alloc(size_t n);
void  wb_heap_free(void *p);
void *wb_heap_realloc(void *p, size_t n);

/* Entropy used by the next RNG seeding (NULL: the library-wide one). */
void  wb_port_push_entropy(const wb_entropy *e);
void  wb_port_pop_entropy(void);
int   wb_lib_ready(void);

#endif

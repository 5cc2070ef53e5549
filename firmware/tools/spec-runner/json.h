/* Minimal JSON reader for wast2json output (host tool, uses malloc). */
#ifndef SPEC_JSON_H
#define SPEC_JSON_H

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jnode {
    int type;
    char *str;              /* J_STR value, or J_NUM text */
    unsigned long len;      /* bytes in str (strings may hold NUL) */
    char *key;              /* member name when inside an object */
    struct jnode *kids;     /* first child (array/object) */
    struct jnode *next;     /* next sibling */
} jnode;

jnode *json_parse(const char *text, const char **err);
void json_free(jnode *n);
jnode *json_get(const jnode *obj, const char *key);
const char *json_str(const jnode *obj, const char *key);   /* NULL if absent */

#endif

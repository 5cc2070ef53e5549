/* Field-by-field equality of two decoded messages, driven by the codec's own schema tables. */
#ifndef WB_MSG_EQUAL_H
#define WB_MSG_EQUAL_H
#include "wasmbed_proto.h"
/* 1 if equal; else 0 and a reason in why. */
int wb_msg_equal(const wb_message *a, const wb_message *b, char *why, size_t why_len);
#endif

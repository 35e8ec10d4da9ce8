// A C surface over simdjson's DOM parser, so that Swift can parse JSON without Foundation.
// A parsed document is handed out as a flat array of nodes in document order (a "tape"):
// containers record where their subtree ends, so a reader can skip a value in O(1).
#ifndef BB_JSON_H
#define BB_JSON_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

enum {
    BB_JSON_NULL = 0, BB_JSON_FALSE = 1, BB_JSON_TRUE = 2, BB_JSON_INT = 3,
    BB_JSON_UINT = 4, BB_JSON_DOUBLE = 5, BB_JSON_STRING = 6, BB_JSON_ARRAY = 7,
    BB_JSON_OBJECT = 8
};

typedef struct {
    const char *str;      // strings and object keys: UTF-8 bytes, not NUL-terminated
    union { int64_t i; uint64_t u; double d; } num;
    uint32_t length;      // string length in bytes, or number of elements / members
    uint32_t end;         // index one past the last node of this value's subtree
    uint8_t kind;         // BB_JSON_*
} bb_json_node;

typedef struct bb_json_parser bb_json_parser;

bb_json_parser *bb_json_parser_new(void);
void bb_json_parser_free(bb_json_parser *parser);

// Parses len bytes at buf. On success returns 0 and points *nodes at count nodes, valid until the
// next call with this parser. An object of n members is followed by 2n values: key (a string
// node), then its value. On failure returns a non-zero code for bb_json_error_message.
int bb_json_parse(bb_json_parser *parser, const char *buf, size_t len,
                  const bb_json_node **nodes, size_t *count);

const char *bb_json_error_message(int code);

#ifdef __cplusplus
}
#endif
#endif

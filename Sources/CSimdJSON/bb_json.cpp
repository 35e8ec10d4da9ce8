#include "bb_json.h"
#include <simdjson.h>
#include <vector>

struct bb_json_parser {
    simdjson::dom::parser parser;
    std::vector<bb_json_node> nodes;
};

namespace {
// Nesting is bounded by simdjson's own depth limit (1024 by default), so recursion is safe.
void flatten(simdjson::dom::element e, std::vector<bb_json_node> &out) {
    size_t self = out.size();
    out.push_back(bb_json_node{});
    bb_json_node n{};
    switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE: n.kind = BB_JSON_NULL; break;
    case simdjson::dom::element_type::BOOL:
        n.kind = bool(e.get_bool().value_unsafe()) ? BB_JSON_TRUE : BB_JSON_FALSE; break;
    case simdjson::dom::element_type::INT64:
        n.kind = BB_JSON_INT; n.num.i = e.get_int64().value_unsafe(); break;
    case simdjson::dom::element_type::UINT64:
        n.kind = BB_JSON_UINT; n.num.u = e.get_uint64().value_unsafe(); break;
    case simdjson::dom::element_type::DOUBLE:
        n.kind = BB_JSON_DOUBLE; n.num.d = e.get_double().value_unsafe(); break;
    case simdjson::dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        n.kind = BB_JSON_STRING; n.str = s.data(); n.length = uint32_t(s.size()); break;
    }
    case simdjson::dom::element_type::ARRAY: {
        n.kind = BB_JSON_ARRAY;
        uint32_t count = 0;
        for (auto child : e.get_array().value_unsafe()) { flatten(child, out); count++; }
        n.length = count;
        break;
    }
    case simdjson::dom::element_type::OBJECT: {
        n.kind = BB_JSON_OBJECT;
        uint32_t count = 0;
        for (auto field : e.get_object().value_unsafe()) {
            bb_json_node key{};
            key.kind = BB_JSON_STRING;
            key.str = field.key.data();
            key.length = uint32_t(field.key.size());
            key.end = uint32_t(out.size() + 1);
            out.push_back(key);
            flatten(field.value, out);
            count++;
        }
        n.length = count;
        break;
    }
    }
    n.end = uint32_t(out.size());
    out[self] = n;
}
}

extern "C" bb_json_parser *bb_json_parser_new(void) {
    try { return new bb_json_parser(); } catch (...) { return nullptr; }
}

extern "C" void bb_json_parser_free(bb_json_parser *p) { delete p; }

extern "C" int bb_json_parse(bb_json_parser *p, const char *buf, size_t len,
                             const bb_json_node **nodes, size_t *count) {
    try {
        simdjson::dom::element root;
        auto error = p->parser.parse(buf, len, true).get(root);
        if (error) return int(error);
        p->nodes.clear();
        flatten(root, p->nodes);
        *nodes = p->nodes.data();
        *count = p->nodes.size();
        return 0;
    } catch (...) {
        return int(simdjson::MEMALLOC);
    }
}

extern "C" const char *bb_json_error_message(int code) {
    return simdjson::error_message(simdjson::error_code(code));
}

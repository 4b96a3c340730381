#pragma once

// A strict (RFC 8259), allocation-light JSON reader for the hot path of model
// streams. QJsonDocument builds a full CBOR-backed tree for every SSE event and
// caps decoding at ~50 MB/s; most events are small deltas of which we need two or
// three fields. JsonScan validates the whole text and records each value's span;
// strings are decoded only when asked for. Whatever it rejects or does not expect
// goes to the QJsonDocument path, which also produces the error message.

#include <QByteArrayView>
#include <QString>

#include <vector>

namespace airlock {

class JsonScan {
public:
    enum class Type : quint8 { Null, False, True, Number, String, Array, Object };
    static constexpr int kNone = -1;

    // Parses `json` (an object or array at top level). Returns false on any syntax
    // error, invalid UTF-8 in a string, or nesting deeper than 64.
    bool parse(QByteArrayView json);

    int root() const { return m_nodes.empty() ? kNone : 0; }
    Type type(int node) const { return m_nodes[size_t(node)].type; }
    bool is(int node, Type t) const { return node != kNone && type(node) == t; }
    // The value of `key` in an object (the last one if repeated), or kNone.
    int member(int object, QByteArrayView key) const;
    int element(int array, int index) const;
    int childCount(int node) const;
    // Bytes of a string's raw form; its decoded UTF-8 is never longer.
    qsizetype rawLength(int node) const { return m_nodes[size_t(node)].end - m_nodes[size_t(node)].begin; }

    QString string(int node) const;
    QByteArray utf8(int node) const;                         // decoded string, as UTF-8
    void appendUtf8(int node, QByteArray &out) const;        // the same, appended without a copy
    bool stringEquals(int node, QByteArrayView ascii) const; // no decoding when unescaped
    // An integral number, or `fallback` when the node is not one.
    qint64 integer(int node, qint64 fallback) const;

private:
    struct Node {
        Type type;
        bool escaped = false;   // string with backslash escapes
        int begin = 0, end = 0; // value span; strings: the contents between quotes
        int keyBegin = 0, keyEnd = 0;
        bool keyEscaped = false;
        int firstChild = kNone, nextSibling = kNone;
    };

    bool parseValue(int depth, int &out);
    bool parseString(int &begin, int &end, bool &escaped);
    bool parseNumber();
    int hex4At(qsizetype at) const; // four hex digits at `at`, or -1
    void skipSpace();
    QByteArray decode(int begin, int end, bool escaped) const;
    void decodeInto(int begin, int end, bool escaped, QByteArray &out) const;

    QByteArrayView m_text;
    qsizetype m_pos = 0;
    std::vector<Node> m_nodes;
};

} // namespace airlock

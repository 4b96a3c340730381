#pragma once

// The automaton behind SecretRedactor: Aho–Corasick over UTF-8 bytes, built once
// for a set of patterns and then only read, so any number of threads may scan with
// it at once. Transitions from the root are one table lookup (most bytes of most
// text never leave the root); deeper states keep their few children in a sorted run
// and fall back along failure links.

#include <QByteArray>
#include <QList>

#include <cstdint>
#include <vector>

namespace airlock {

class SecretMatcher {
public:
    struct Pattern {
        QByteArray bytes; // non-empty
        int label = 0;    // what a match of it is replaced with (an index into the caller's labels)
    };

    // Equal byte strings are kept once, with the first one's label.
    explicit SecretMatcher(const QList<Pattern> &patterns);

    static constexpr int kRoot = 0;
    int next(int state, std::uint8_t byte) const
    {
        for (;;) {
            if (state == kRoot)
                return m_rootNext[byte];
            if (const int to = child(state, byte); to >= 0)
                return to;
            state = m_nodes[size_t(state)].fail;
        }
    }
    // How many bytes of a pattern `state` stands for: no match still to come can
    // start further back than this.
    int depth(int state) const { return m_nodes[size_t(state)].depth; }
    // The patterns ending at `state`, longest first: start with matchAt(state), go on
    // with nextMatch(previous) until -1. Each is an index into patterns().
    int matchAt(int state) const
    {
        const Node &n = m_nodes[size_t(state)];
        return n.pattern >= 0 ? n.pattern : n.outLink >= 0 ? m_nodes[size_t(n.outLink)].pattern : -1;
    }
    int nextMatch(int pattern) const;
    const QList<Pattern> &patterns() const { return m_patterns; }
    bool isEmpty() const { return m_patterns.isEmpty(); }

private:
    struct Node {
        int fail = kRoot;
        int outLink = -1; // the nearest node along the failure links that ends a pattern
        int pattern = -1; // the pattern ending exactly here
        int depth = 0;
        int firstEdge = 0, edgeCount = 0;
    };
    int child(int state, std::uint8_t byte) const;

    QList<Pattern> m_patterns;
    std::vector<int> m_patternNode; // pattern → the node where it ends
    std::vector<Node> m_nodes;
    std::vector<std::uint8_t> m_edgeByte; // each node's edges, sorted by byte
    std::vector<int> m_edgeTarget;
    int m_rootNext[256] = {};
};

} // namespace airlock

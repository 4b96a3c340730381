#include "core/secrets/SecretMatcher.h"

#include <QSet>

#include <algorithm>
#include <map>

namespace airlock {

SecretMatcher::SecretMatcher(const QList<Pattern> &patterns)
{
    // The trie first, with ordered children, then flattened into edge arrays.
    std::vector<std::map<std::uint8_t, int>> children(1);
    std::vector<Node> nodes(1);
    QSet<QByteArray> seen;
    for (const Pattern &p : patterns) {
        if (p.bytes.isEmpty() || seen.contains(p.bytes))
            continue;
        seen.insert(p.bytes);
        int at = kRoot;
        for (const char c : p.bytes) {
            const auto b = std::uint8_t(c);
            auto it = children[size_t(at)].find(b);
            if (it == children[size_t(at)].end()) {
                const int made = int(nodes.size());
                nodes.push_back(Node{});
                nodes.back().depth = nodes[size_t(at)].depth + 1;
                children.emplace_back();
                it = children[size_t(at)].emplace(b, made).first;
            }
            at = it->second;
        }
        nodes[size_t(at)].pattern = int(m_patterns.size());
        m_patterns.append(p);
        m_patternNode.push_back(at);
    }
    m_nodes = std::move(nodes);
    for (size_t n = 0; n < children.size(); ++n) {
        m_nodes[n].firstEdge = int(m_edgeByte.size());
        m_nodes[n].edgeCount = int(children[n].size());
        for (const auto &[byte, to] : children[n]) {
            m_edgeByte.push_back(byte);
            m_edgeTarget.push_back(to);
        }
    }
    // Failure and output links, breadth first (a node's links need its parent's).
    std::fill(std::begin(m_rootNext), std::end(m_rootNext), kRoot);
    std::vector<int> queue;
    for (const auto &[byte, to] : children[0]) {
        m_rootNext[byte] = to;
        queue.push_back(to);
    }
    for (size_t q = 0; q < queue.size(); ++q) {
        const int from = queue[q];
        for (const auto &[byte, to] : children[size_t(from)]) {
            const int fail = from == kRoot ? kRoot : next(m_nodes[size_t(from)].fail, byte);
            Node &n = m_nodes[size_t(to)];
            n.fail = fail == to ? kRoot : fail;
            const Node &f = m_nodes[size_t(n.fail)];
            n.outLink = f.pattern >= 0 ? n.fail : f.outLink;
            queue.push_back(to);
        }
    }
}

int SecretMatcher::child(int state, std::uint8_t byte) const
{
    const Node &n = m_nodes[size_t(state)];
    const auto begin = m_edgeByte.begin() + n.firstEdge;
    const auto end = begin + n.edgeCount;
    const auto it = n.edgeCount <= 8 ? std::find(begin, end, byte) : std::lower_bound(begin, end, byte);
    if (it == end || *it != byte)
        return -1;
    return m_edgeTarget[size_t(it - m_edgeByte.begin())];
}

int SecretMatcher::nextMatch(int pattern) const
{
    const int link = m_nodes[size_t(m_patternNode[size_t(pattern)])].outLink;
    return link >= 0 ? m_nodes[size_t(link)].pattern : -1;
}

} // namespace airlock

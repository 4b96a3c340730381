#pragma once

// A small JSON value for the guest-agent protocol headers, shared by the host and
// the static guest agent (which has no Qt). Integers only (the protocol has no
// fractions), nesting bounded, strings are byte strings (UTF-8 escapes decoded).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace airlock::wire {

class Json {
public:
    enum class Type { Null, Bool, Int, String, Array, Object };
    using Array = std::vector<Json>;
    using Object = std::map<std::string, Json, std::less<>>;

    static constexpr int kMaxDepth = 32;

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool b) : m_v(b) {}
    Json(int i) : m_v(std::int64_t(i)) {}
    Json(std::int64_t i) : m_v(i) {}
    Json(std::string s) : m_v(std::move(s)) {}
    Json(std::string_view s) : m_v(std::string(s)) {}
    Json(const char *s) : m_v(std::string(s)) {}
    Json(Array a) : m_v(std::move(a)) {}
    Json(Object o) : m_v(std::move(o)) {}

    Type type() const { return Type(m_v.index()); }
    bool isNull() const { return type() == Type::Null; }
    bool isBool() const { return type() == Type::Bool; }
    bool isInt() const { return type() == Type::Int; }
    bool isString() const { return type() == Type::String; }
    bool isArray() const { return type() == Type::Array; }
    bool isObject() const { return type() == Type::Object; }

    bool toBool(bool fallback = false) const;
    std::int64_t toInt(std::int64_t fallback = 0) const;
    const std::string &toString() const; // empty when not a string
    const Array &toArray() const;        // empty when not an array
    const Object &toObject() const;      // empty when not an object

    // Member lookup on an object; a null value when absent or not an object.
    const Json &operator[](std::string_view key) const;
    // Sets a member, turning a null value into an object first. Returns *this.
    Json &set(std::string key, Json value);

    std::string dump() const;
    // Parses one JSON text (surrounding whitespace allowed). On failure returns
    // nothing and, when `error` is given, says why and where.
    static std::optional<Json> parse(std::string_view text, std::string *error = nullptr);

    friend bool operator==(const Json &a, const Json &b) { return a.m_v == b.m_v; }

private:
    void dumpTo(std::string &out) const;
    std::variant<std::nullptr_t, bool, std::int64_t, std::string, Array, Object> m_v;
};

} // namespace airlock::wire

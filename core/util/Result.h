#pragma once

// Errors as values at module boundaries: Result<T> holds either a T or an Error.
// A small stand-in for C++23 std::expected, which Qt 6.4-era toolchains (C++20)
// do not all provide.

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace airlock {

// What went wrong, in words a person can act on. `code` is a stable identifier for
// programs (tests, the CLI's exit-code mapping); `message` is for people.
struct Error {
    enum class Code {
        Io,       // a file or database could not be read/written
        NotFound, // a named thing (session, file) does not exist
        BadInput, // the caller's input is malformed or violates a schema
        Corrupt,  // stored data failed an integrity check
        Foreign,  // a file exists but is not ours
        TooNew,   // data written by a newer version of Airlock
        Busy,     // another process holds what we need
        Conflict, // someone else changed what we were about to change
        Internal, // a bug or an unexpected state
    };

    Code code = Code::Internal;
    QString message;

    static Error make(Code code, QString message) { return Error{code, std::move(message)}; }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_state); }
    const T &value() const & { return std::get<0>(m_state); }
    T &&value() && { return std::get<0>(std::move(m_state)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_state); }

private:
    std::variant<T, Error> m_state;
};

// Result of an operation that yields nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace airlock

#include "sandbox/isolate/jsd/JsonWriter.h"

#include <QVarLengthArray>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace airlock::jsd {
namespace {

// Well under V8's own limit (984 KiB by default) for what one walk may use.
constexpr std::uintptr_t kMaxNativeStackBytes = 640 * 1024;

using Status = JsonOutcome::Status;

// Where the writer is: one entry per level below the top.
struct Step {
    bool isIndex = false;
    uint32_t index = 0;
    v8::Local<v8::String> name;
};

class Writer {
public:
    Writer(v8::Isolate *isolate, v8::Local<v8::Context> context, qint64 limit, int maxDepth)
        : m_isolate(isolate), m_context(context), m_limit(limit), m_maxDepth(maxDepth), m_stackBase(stackAddress()),
          m_toJSON(v8::String::NewFromUtf8Literal(isolate, "toJSON", v8::NewStringType::kInternalized))
    {
    }

    // Writes `value` (the property `key` of its holder). False: stop, m_outcome says why.
    enum class Wrote { Value, Nothing, Failed };
    Wrote property(v8::Local<v8::Value> key, v8::Local<v8::Value> value);

    JsonOutcome finish(bool ok)
    {
        if (ok)
            m_outcome.text = std::move(m_out);
        return std::move(m_outcome);
    }

    JsonOutcome fail(Status status)
    {
        m_outcome.status = status;
        m_outcome.where = path();
        return std::move(m_outcome);
    }

    Wrote failed(Status status)
    {
        m_outcome.status = status;
        m_outcome.where = path();
        return Wrote::Failed;
    }

private:
    Wrote object(v8::Local<v8::Object> object, bool isArray);
    bool quote(v8::Local<v8::String> text);
    bool number(v8::Local<v8::Value> value);
    bool fits() { return qint64(m_out.size()) <= m_limit; }
    static std::uintptr_t stackAddress() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }
    // Native stack this walk has used. Each level also enters V8 (getters, toJSON),
    // and V8 throws its own RangeError near its stack limit; stopping here first keeps
    // "too deep" one clear error whatever a level's frames cost (sanitizer builds
    // make them several times larger).
    bool stackSpent() const { return m_stackBase - stackAddress() > kMaxNativeStackBytes; }
    QString path() const;

    v8::Isolate *m_isolate;
    v8::Local<v8::Context> m_context;
    const qint64 m_limit;
    const int m_maxDepth;
    const std::uintptr_t m_stackBase;
    v8::Local<v8::String> m_toJSON;
    QByteArray m_out;
    std::vector<v8::Local<v8::Object>> m_stack; // objects being written, for cycles
    std::vector<Step> m_path;
    JsonOutcome m_outcome;
};

QString Writer::path() const
{
    QString out = QStringLiteral("result");
    for (const Step &step : m_path) {
        if (out.size() > 200) {
            out += QStringLiteral("…");
            break;
        }
        if (step.isIndex) {
            out += QStringLiteral("[%1]").arg(step.index);
        } else {
            v8::String::Utf8Value name(m_isolate, step.name);
            out += QLatin1Char('.') + (*name ? QString::fromUtf8(*name, name.length()) : QString());
        }
    }
    return out;
}

bool Writer::quote(v8::Local<v8::String> text)
{
    const int length = text->Length();
    // Every UTF-16 unit becomes at least one byte.
    if (qint64(m_out.size()) + length + 2 > m_limit)
        return false;
    QVarLengthArray<uint16_t, 256> units(qsizetype(length) + 1);
    text->Write(m_isolate, units.data(), 0, length, v8::String::NO_NULL_TERMINATION);
    static const char hex[] = "0123456789abcdef";
    auto escapeUnit = [&](uint16_t u) {
        const char e[] = {'\\', 'u', hex[u >> 12], hex[(u >> 8) & 15], hex[(u >> 4) & 15], hex[u & 15]};
        m_out.append(e, 6);
    };
    m_out.append('"');
    for (int i = 0; i < length; ++i) {
        const uint16_t u = units[i];
        if (u < 0x80) {
            switch (u) {
            case '"':
                m_out.append("\\\"", 2);
                break;
            case '\\':
                m_out.append("\\\\", 2);
                break;
            case '\b':
                m_out.append("\\b", 2);
                break;
            case '\f':
                m_out.append("\\f", 2);
                break;
            case '\n':
                m_out.append("\\n", 2);
                break;
            case '\r':
                m_out.append("\\r", 2);
                break;
            case '\t':
                m_out.append("\\t", 2);
                break;
            default:
                if (u < 0x20)
                    escapeUnit(u);
                else
                    m_out.append(char(u));
            }
        } else if (u < 0x800) {
            m_out.append(char(0xc0 | (u >> 6)));
            m_out.append(char(0x80 | (u & 63)));
        } else if (u >= 0xd800 && u <= 0xdfff) {
            // A surrogate pair is one code point; a lone surrogate is escaped, as
            // JSON.stringify does (well-formed JSON.stringify).
            const bool pair = u <= 0xdbff && i + 1 < length && units[i + 1] >= 0xdc00 && units[i + 1] <= 0xdfff;
            if (!pair) {
                escapeUnit(u);
                continue;
            }
            const uint32_t c = 0x10000 + ((uint32_t(u) - 0xd800) << 10) + (uint32_t(units[i + 1]) - 0xdc00);
            ++i;
            m_out.append(char(0xf0 | (c >> 18)));
            m_out.append(char(0x80 | ((c >> 12) & 63)));
            m_out.append(char(0x80 | ((c >> 6) & 63)));
            m_out.append(char(0x80 | (c & 63)));
        } else {
            m_out.append(char(0xe0 | (u >> 12)));
            m_out.append(char(0x80 | ((u >> 6) & 63)));
            m_out.append(char(0x80 | (u & 63)));
        }
    }
    m_out.append('"');
    return fits();
}

bool Writer::number(v8::Local<v8::Value> value)
{
    const double d = value.As<v8::Number>()->Value();
    if (!std::isfinite(d)) {
        m_out.append("null", 4);
        return fits();
    }
    // Integers in the safe range print the same in C++ as in JavaScript (-0 as 0);
    // anything else takes V8's own Number::toString.
    if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
        char buffer[24];
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(d)).ptr;
        m_out.append(buffer, qsizetype(end - buffer));
        return fits();
    }
    v8::Local<v8::String> text;
    if (!value->ToString(m_context).ToLocal(&text))
        return false;
    v8::String::Utf8Value utf8(m_isolate, text);
    m_out.append(*utf8, utf8.length());
    return fits();
}

Writer::Wrote Writer::property(v8::Local<v8::Value> key, v8::Local<v8::Value> value)
{
    // toJSON, looked up on the value (BigInt.prototype.toJSON included).
    if (value->IsObject() || value->IsBigInt()) {
        v8::Local<v8::Object> holder;
        if (!value->ToObject(m_context).ToLocal(&holder))
            return failed(Status::Threw);
        v8::Local<v8::Value> toJSON;
        if (!holder->Get(m_context, m_toJSON).ToLocal(&toJSON))
            return failed(Status::Threw);
        if (toJSON->IsFunction()) {
            if (key.IsEmpty())
                key = v8::String::Empty(m_isolate);
            if (!toJSON.As<v8::Function>()->Call(m_context, value, 1, &key).ToLocal(&value))
                return failed(Status::Threw);
        }
    }
    // Boxed primitives count as their values (through their own valueOf/toString).
    if (value->IsNumberObject()) {
        v8::Local<v8::Number> n;
        if (!value->ToNumber(m_context).ToLocal(&n))
            return failed(Status::Threw);
        value = n;
    } else if (value->IsStringObject()) {
        v8::Local<v8::String> s;
        if (!value->ToString(m_context).ToLocal(&s))
            return failed(Status::Threw);
        value = s;
    } else if (value->IsBooleanObject()) {
        value = v8::Boolean::New(m_isolate, value.As<v8::BooleanObject>()->ValueOf());
    } else if (value->IsBigIntObject()) {
        value = value.As<v8::BigIntObject>()->ValueOf();
    }

    if (value->IsNull()) {
        m_out.append("null", 4);
    } else if (value->IsTrue()) {
        m_out.append("true", 4);
    } else if (value->IsFalse()) {
        m_out.append("false", 5);
    } else if (value->IsString()) {
        if (!quote(value.As<v8::String>()))
            return failed(Status::TooLarge);
        return Wrote::Value;
    } else if (value->IsNumber()) {
        if (!number(value))
            return failed(fits() ? Status::Threw : Status::TooLarge);
        return Wrote::Value;
    } else if (value->IsBigInt()) {
        return failed(Status::BigInt);
    } else if (value->IsObject() && !value->IsFunction()) {
        // An array, or a proxy whose (ultimate) target is one.
        v8::Local<v8::Value> probe = value;
        while (probe->IsProxy()) {
            v8::Local<v8::Proxy> proxy = probe.As<v8::Proxy>();
            if (proxy->IsRevoked()) {
                m_isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(
                    m_isolate, "the result contains a revoked Proxy (Cannot perform 'IsArray' on it)")));
                return failed(Status::Threw);
            }
            probe = proxy->GetTarget();
        }
        return object(value.As<v8::Object>(), probe->IsArray());
    } else {
        return Wrote::Nothing; // undefined, functions, symbols
    }
    return fits() ? Wrote::Value : failed(Status::TooLarge);
}

Writer::Wrote Writer::object(v8::Local<v8::Object> object, bool isArray)
{
    for (const v8::Local<v8::Object> &outer : m_stack)
        if (outer == object)
            return failed(Status::Cycle);
    if (int(m_stack.size()) >= m_maxDepth || stackSpent())
        return failed(Status::TooDeep);
    m_stack.push_back(object);
    m_out.append(isArray ? '[' : '{');

    if (isArray) {
        uint32_t length = 0;
        if (object->IsArray()) {
            length = object.As<v8::Array>()->Length();
        } else {
            v8::Local<v8::Value> l;
            double d = 0;
            if (!object->Get(m_context, v8::String::NewFromUtf8Literal(m_isolate, "length")).ToLocal(&l) ||
                !l->NumberValue(m_context).To(&d))
                return failed(Status::Threw);
            // Each element takes at least one byte: beyond the limit nothing fits anyway.
            length = d > 0 ? uint32_t(std::min(d, double(m_limit) + 1)) : 0;
        }
        for (uint32_t i = 0; i < length; ++i) {
            v8::HandleScope scope(m_isolate);
            if (i)
                m_out.append(',');
            if (!fits())
                return failed(Status::TooLarge);
            m_path.push_back(Step{true, i, {}});
            v8::Local<v8::Value> element;
            if (!object->Get(m_context, i).ToLocal(&element))
                return failed(Status::Threw);
            // toJSON gets the index as a string; only made when there is a toJSON to call.
            v8::Local<v8::Value> key;
            if (element->IsObject() || element->IsBigInt())
                key = v8::Integer::NewFromUnsigned(m_isolate, i)->ToString(m_context).ToLocalChecked();
            const Wrote wrote = property(key, element);
            if (wrote == Wrote::Failed)
                return wrote;
            if (wrote == Wrote::Nothing)
                m_out.append("null", 4);
            m_path.pop_back();
        }
    } else {
        v8::Local<v8::Array> keys;
        if (!object
                 ->GetOwnPropertyNames(m_context, v8::PropertyFilter(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
                                       v8::KeyConversionMode::kConvertToString)
                 .ToLocal(&keys))
            return failed(Status::Threw);
        bool first = true;
        const uint32_t count = keys->Length();
        for (uint32_t i = 0; i < count; ++i) {
            v8::HandleScope scope(m_isolate);
            v8::Local<v8::Value> key;
            if (!keys->Get(m_context, i).ToLocal(&key) || !key->IsString())
                return failed(Status::Threw);
            m_path.push_back(Step{false, 0, key.As<v8::String>()});
            v8::Local<v8::Value> member;
            if (!object->Get(m_context, key).ToLocal(&member))
                return failed(Status::Threw);
            const qsizetype mark = m_out.size();
            if (!first)
                m_out.append(',');
            if (!quote(key.As<v8::String>()))
                return failed(Status::TooLarge);
            m_out.append(':');
            const Wrote wrote = property(key, member);
            if (wrote == Wrote::Failed)
                return wrote;
            if (wrote == Wrote::Nothing)
                m_out.truncate(mark); // omitted members leave no trace
            else
                first = false;
            m_path.pop_back();
        }
    }

    m_out.append(isArray ? ']' : '}');
    m_stack.pop_back();
    return fits() ? Wrote::Value : failed(Status::TooLarge);
}

} // namespace

JsonOutcome writeJson(v8::Isolate *isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> value, qint64 limit,
                      int maxDepth)
{
    v8::HandleScope scope(isolate);
    Writer writer(isolate, context, limit, maxDepth);
    switch (writer.property(v8::String::Empty(isolate), value)) {
    case Writer::Wrote::Value:
        return writer.finish(true);
    case Writer::Wrote::Failed:
        return writer.finish(false);
    case Writer::Wrote::Nothing:
        break;
    }
    JsonOutcome outcome = writer.fail(Status::Unserialisable);
    outcome.what = value->IsFunction() ? QStringLiteral("function")
                   : value->IsSymbol() ? QStringLiteral("symbol")
                                       : QStringLiteral("undefined");
    return outcome;
}

} // namespace airlock::jsd

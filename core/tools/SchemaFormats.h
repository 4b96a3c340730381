#pragma once

// The `format` values a tool schema may assert, checked to their RFCs: a model
// writes tool input, so "looks roughly like a date" is not good enough. Each
// check is exact over the whole string: no leading or trailing junk, no final
// newline, ASCII digits only.

#include <QString>

#include <optional>

namespace airlock {

class SchemaFormats {
public:
    // Whether `value` is a valid `format`; nullopt for formats Airlock does not
    // know, which are annotations only.
    static std::optional<bool> check(const QString &format, const QString &value);

    static bool isDate(QStringView s);
    static bool isTime(QStringView s);
    static bool isDateTime(QStringView s);
    static bool isDuration(QStringView s);
    static bool isEmail(QStringView s);
    static bool isHostname(QStringView s);
    static bool isIpv4(QStringView s);
    static bool isIpv6(QStringView s);
    static bool isUri(QStringView s);
    static bool isUriReference(QStringView s);
    static bool isIri(QStringView s);
    static bool isIriReference(QStringView s);
    static bool isUriTemplate(QStringView s);
    static bool isIdnHostname(QStringView s);
    static bool isIdnEmail(QStringView s);
    static bool isUuid(QStringView s);
    static bool isRegex(const QString &s);
    static bool isJsonPointer(QStringView s);
    static bool isRelativeJsonPointer(QStringView s);
};

} // namespace airlock

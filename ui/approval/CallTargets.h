#pragma once

// What a call touches, read from its schema, not from the tool's name: the fields
// that name a target (a path, a URL or host, recipients, a command line) come
// first on the approval card and are never cut. A field is a target when it is the
// tool's shell field, its name is one of a short ordered list, or its schema format
// says it is an address (uri, email, hostname…).

#include <QJsonObject>
#include <QStringList>

namespace airlock {

class CallTargets final {
public:
    // The input's fields in display order: targets first (in the list's order),
    // then the schema's other properties, then fields the schema does not describe.
    static QStringList orderedFields(const QJsonObject &input, const QJsonObject &schema,
                                     const QString &shellField = {});
    static bool isTarget(const QString &field, const QJsonObject &propertySchema, const QString &shellField = {});
    // The host a network call reaches, from its first URL- or host-like target; empty if none.
    static QString host(const QJsonObject &input, const QJsonObject &schema);

private:
    static int rank(const QString &field, const QJsonObject &propertySchema, const QString &shellField);
};

} // namespace airlock

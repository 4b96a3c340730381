#include "core/util/DebianPackageName.h"

#include <QRegularExpression>

namespace airlock {

Status checkDebianPackageName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[0-9A-Za-z.+~:-]+)?$"));
    if (!re.match(name).hasMatch())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("\"%1\" is not a Debian package name (lower-case letters, digits, '+', "
                                          "'-', '.', at least two characters; optionally :ARCH and =VERSION)")
                               .arg(name));
    return {};
}

} // namespace airlock

#include "ui/preview/webengine/WebEnginePlugin.h"

#include "ui/preview/webengine/WebEnginePane.h"

namespace airlock {

WebPage *WebEnginePlugin::create(QWidget *parent)
{
    return new WebEnginePane(parent);
}

} // namespace airlock

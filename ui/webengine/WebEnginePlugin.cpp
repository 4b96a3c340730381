#include "WebEnginePlugin.h"

#include "WebEnginePane.h"

namespace airlock {

WebPage *WebEnginePlugin::create(QWidget *parent)
{
    return new WebEnginePane(parent);
}

} // namespace airlock

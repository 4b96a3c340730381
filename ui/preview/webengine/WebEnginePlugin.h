#pragma once

// The only code that links Qt WebEngine: loaded by PreviewView on the first preview.

#include "ui/preview/WebPageFactory.h"

#include <QObject>

namespace airlock {

class WebEnginePlugin final : public QObject, public WebPageFactory {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID AirlockWebPageFactory_iid)
    Q_INTERFACES(airlock::WebPageFactory)
public:
    WebPage *create(QWidget *parent) override;
};

} // namespace airlock

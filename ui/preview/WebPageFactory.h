#pragma once

// What the WebEngine plugin exports: a factory of WebPage views.

#include "ui/preview/WebPage.h"

#include <QtPlugin>

namespace airlock {

class WebPageFactory {
public:
    virtual ~WebPageFactory() = default;
    virtual WebPage *create(QWidget *parent) = 0;
};

} // namespace airlock

#define AirlockWebPageFactory_iid "dev.airlock.WebPageFactory/1"
Q_DECLARE_INTERFACE(airlock::WebPageFactory, AirlockWebPageFactory_iid)

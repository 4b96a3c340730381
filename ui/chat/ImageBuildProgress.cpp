#include "ui/chat/ImageBuildProgress.h"

#include "core/events/Event.h"
#include "core/events/EventKind.h"

#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QRegularExpression>

namespace airlock {

ImageBuildProgress::ImageBuildProgress(QWidget *parent)
    : QWidget(parent), m_label(new QLabel(this)), m_bar(new QProgressBar(this))
{
    setObjectName(QStringLiteral("imageBuildProgress"));
    m_bar->setRange(0, 100);
    m_bar->setMaximumWidth(240);
    m_label->setWordWrap(true);
    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(4, 2, 4, 2);
    row->addWidget(m_label, 1);
    row->addWidget(m_bar);
    hide();
}

void ImageBuildProgress::apply(const Event &event)
{
    const std::optional<EventKind> kind = event.knownKind();
    if (!kind)
        return;
    if (*kind == EventKind::ExecutionFinished) {
        reset(); // the call that waited for the image has its answer (or its error)
        return;
    }
    if (*kind != EventKind::LogLine)
        return;
    const QJsonObject p = event.payloadObject();
    const QString stream = p.value(QLatin1String("stream")).toString();
    const QString text = p.value(QLatin1String("text")).toString();
    if (stream == QLatin1String("vm") && text.startsWith(QLatin1String("guest image built"))) {
        reset();
        return;
    }
    if (stream != QLatin1String("image"))
        return;
    static const QRegularExpression line(QStringLiteral("^(\\d{1,3})% (.*)$"));
    const QRegularExpressionMatch m = line.match(text);
    if (!m.hasMatch())
        return;
    m_step = m.captured(2);
    m_bar->setValue(std::min(100, m.captured(1).toInt()));
    m_label->setText(tr("Building the Debian guest image (once per package list): %1").arg(m_step));
    show();
}

void ImageBuildProgress::reset()
{
    m_step.clear();
    m_bar->setValue(0);
    hide();
}

int ImageBuildProgress::percent() const
{
    return m_bar->value();
}

QString ImageBuildProgress::step() const
{
    return m_step;
}

} // namespace airlock

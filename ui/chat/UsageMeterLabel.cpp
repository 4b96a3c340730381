#include "ui/chat/UsageMeterLabel.h"

#include "core/events/Event.h"

namespace airlock {

UsageMeterLabel::UsageMeterLabel(QWidget *parent) : QLabel(parent)
{
    setObjectName(QStringLiteral("usageMeter"));
}

void UsageMeterLabel::apply(const Event &event)
{
    if (m_meter.apply(event))
        setText(textFor(m_meter));
}

void UsageMeterLabel::setModel(const QString &model)
{
    m_meter.setModel(model);
}

void UsageMeterLabel::reset()
{
    m_meter = UsageMeter();
    clear();
}

QString UsageMeterLabel::textFor(const UsageMeter &meter)
{
    if (meter.inputTokens() == 0 && meter.outputTokens() == 0)
        return {};
    QString cost;
    if (meter.costKnown()) {
        const std::optional<UsageMeter::Turn> last = meter.lastTurn();
        cost = last && last->costUsd
                   ? tr(" · ~$%1 (last turn ~$%2)").arg(meter.costUsd(), 0, 'f', 4).arg(*last->costUsd, 0, 'f', 4)
                   : tr(" · ~$%1 (last turn: no price for %2)")
                         .arg(meter.costUsd(), 0, 'f', 4)
                         .arg(last ? last->model : meter.model());
    }
    return tr("%1 tokens in, %2 out this session%3").arg(meter.inputTokens()).arg(meter.outputTokens()).arg(cost);
}

} // namespace airlock

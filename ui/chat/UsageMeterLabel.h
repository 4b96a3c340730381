#pragma once

// The chat's token/cost meter: a label over core's UsageMeter, the one fold over
// usage events that the agent's budget and the CLI's summary also use, so the
// window shows what they count (the last usage snapshot of each turn, not every
// snapshot a stream reported).

#include "core/agent/UsageMeter.h"

#include <QLabel>

namespace airlock {

struct Event;

class UsageMeterLabel final : public QLabel {
    Q_OBJECT
public:
    explicit UsageMeterLabel(QWidget *parent = nullptr);

    // Folds one event of the running agent; the text follows if the totals changed.
    void apply(const Event &event);
    // The model the following turns are priced with (the agent's, once it starts).
    void setModel(const QString &model);
    // Empty again, for another session.
    void reset();
    const UsageMeter &meter() const { return m_meter; }

    // What the label says for `meter`: empty before any token was used.
    static QString textFor(const UsageMeter &meter);

private:
    UsageMeter m_meter;
};

} // namespace airlock

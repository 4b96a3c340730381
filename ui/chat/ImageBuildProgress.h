#pragma once

// The guest image being built for the first call that needs it (minutes, once per
// package list): a progress bar above the prompt with the step it is on, fed by
// the "image" log lines the microVM sandbox reports ("42% installing packages"),
// gone when the build ends or the call that waited for it finishes. A failed build
// says why in the call's result; the bar only says that it stopped.

#include <QWidget>

class QLabel;
class QProgressBar;

namespace airlock {

struct Event;

class ImageBuildProgress final : public QWidget {
    Q_OBJECT
public:
    explicit ImageBuildProgress(QWidget *parent = nullptr);

    // Folds one event of the running agent.
    void apply(const Event &event);
    void reset();

    int percent() const;
    QString step() const;

private:
    QLabel *m_label;
    QProgressBar *m_bar;
    QString m_step;
};

} // namespace airlock

#pragma once

// A clearly visible keyboard focus indicator: a 2px outline in the palette's
// accent (Highlight) colour around the widget that has focus — buttons, lists,
// the prompt, the approval card — in light and dark themes alike. The styles'
// own focus marks are a 1px tint that is hard to see on Fusion's palettes.
//
// One per application (install() is idempotent); it follows
// QApplication::focusChanged and moves a single frame around the focus widget.

#include <QFocusFrame>
#include <QPointer>

class QApplication;

namespace airlock {

class FocusRing final : public QFocusFrame {
    Q_OBJECT
public:
    static constexpr int kWidth = 2;

    // Makes `app` show the ring from now on (once per application).
    static void install(QApplication *app);
    // The ring in use, or null.
    static FocusRing *instance();

    // True for widgets a ring helps find: controls that take keyboard focus, not
    // windows or a text view's inner viewport.
    static bool wantsRing(const QWidget *widget);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    FocusRing();
    void follow(QWidget *now);
};

} // namespace airlock

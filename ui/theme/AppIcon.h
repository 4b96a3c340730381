#pragma once

// Airlock's icon, drawn rather than loaded (no image plugin needed): two doors of
// a lock chamber. With a count, the tray and taskbar version carries a badge of the
// calls that wait for a decision.

#include <QIcon>

namespace airlock {

class AppIcon {
public:
    static QIcon make(int waiting = 0);
};

} // namespace airlock

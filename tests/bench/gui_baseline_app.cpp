// The floor for the GUI benchmarks: a bare Qt Widgets window with nothing in it,
// reporting its first painted frame the same way the app does.

#include <QApplication>
#include <QMainWindow>
#include <QTimer>

#include <cstdio>

namespace {
class Window final : public QMainWindow {
protected:
    void paintEvent(QPaintEvent *e) override
    {
        QMainWindow::paintEvent(e);
        if (!m_reported) {
            m_reported = true;
            QTimer::singleShot(0, [] {
                std::fputs("first-frame\n", stdout);
                std::fflush(stdout);
            });
        }
    }

private:
    bool m_reported = false;
};
} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    Window w;
    w.resize(1280, 800);
    w.show();
    return QApplication::exec();
}

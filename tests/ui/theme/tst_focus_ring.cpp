// The keyboard focus is easy to see: a 2px outline in the accent colour around the
// focused button, the prompt and the current session row, in light and dark.

#include "ui/theme/FocusRing.h"
#include "ui/theme/ThemeController.h"

#include <QApplication>
#include <QDir>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyleFactory>
#include <QTest>
#include <QVBoxLayout>

using namespace airlock;

class TestFocusRing final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void focusedControlsHaveAnAccentOutline_data();
    void focusedControlsHaveAnAccentOutline();
};

namespace {

bool near(QColor a, QColor b)
{
    return std::abs(a.red() - b.red()) + std::abs(a.green() - b.green()) + std::abs(a.blue() - b.blue()) < 40;
}

// The share of the 2px band just outside `target` that is painted in `accent`.
double accentShareAround(const QImage &shot, const QRect &target, QColor accent)
{
    int band = 0, hits = 0;
    const QRect outer = target.adjusted(-FocusRing::kWidth, -FocusRing::kWidth, FocusRing::kWidth, FocusRing::kWidth);
    for (int y = outer.top(); y <= outer.bottom(); ++y)
        for (int x = outer.left(); x <= outer.right(); ++x) {
            if (target.contains(x, y) || !shot.rect().contains(x, y))
                continue;
            ++band;
            hits += near(shot.pixelColor(x, y), accent) ? 1 : 0;
        }
    return band ? double(hits) / band : 0.0;
}

} // namespace

void TestFocusRing::initTestCase()
{
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    FocusRing::install(qApp);
}

void TestFocusRing::focusedControlsHaveAnAccentOutline_data()
{
    QTest::addColumn<bool>("dark");
    QTest::newRow("light") << false;
    QTest::newRow("dark") << true;
}

void TestFocusRing::focusedControlsHaveAnAccentOutline()
{
    QFETCH(bool, dark);
    QApplication::setPalette(dark ? ThemeController::darkPalette() : ThemeController::lightPalette());
    const QColor accent = QApplication::palette().color(QPalette::Active, QPalette::Highlight);

    QWidget host;
    host.resize(420, 260);
    auto *layout = new QVBoxLayout(&host);
    layout->setContentsMargins(16, 16, 16, 16);
    layout->setSpacing(16);
    auto *first = new QPushButton(QStringLiteral("Approve"), &host);
    auto *second = new QPushButton(QStringLiteral("Deny"), &host);
    auto *prompt = new QPlainTextEdit(&host);
    layout->addWidget(first);
    layout->addWidget(second);
    layout->addWidget(prompt);
    host.show();
    QVERIFY(QTest::qWaitForWindowExposed(&host));
    host.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&host));

    first->setFocus(Qt::OtherFocusReason);
    QTRY_VERIFY(first->hasFocus());
    QTest::keyClick(first, Qt::Key_Tab); // as a keyboard user moves
    QTRY_VERIFY(second->hasFocus());
    QImage shot = host.grab().toImage();
    QVERIFY2(accentShareAround(shot, second->geometry(), accent) > 0.9,
             qPrintable(QString::number(accentShareAround(shot, second->geometry(), accent))));
    QVERIFY(accentShareAround(shot, first->geometry(), accent) < 0.2); // only the focused one
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/window-focus-ring%1.png")
                          .arg(dark ? QStringLiteral("-dark") : QString())));

    QTest::keyClick(second, Qt::Key_Tab);
    QTRY_VERIFY(prompt->hasFocus());
    shot = host.grab().toImage();
    QVERIFY2(accentShareAround(shot, prompt->geometry(), accent) > 0.9,
             qPrintable(QString::number(accentShareAround(shot, prompt->geometry(), accent))));
}

QTEST_MAIN(TestFocusRing)
#include "tst_focus_ring.moc"

#include "GuiLauncher.h"

#include "MainWindow.h"
#include "agent/AgentSetup.h"
#include "agent/ProjectFile.h"
#include "storage/EventStore.h"

#include <AirlockVersion.h>

#include <QApplication>
#include <QDir>
#include <QEvent>
#include <QFile>
#include <QTimer>

#include <cstdio>

namespace airlock {
namespace {

// Reports the first painted frame once, then removes itself.
class FirstFrameReporter final : public QObject {
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint && !m_reported) {
            m_reported = true;
            // After this paint completes and the backing store is flushed.
            QTimer::singleShot(0, this, [this] {
                std::fputs("first-frame\n", stdout);
                std::fflush(stdout);
                qApp->removeEventFilter(this);
            });
        }
        return QObject::eventFilter(watched, event);
    }

private:
    bool m_reported = false;
};

} // namespace

int GuiLauncher::run(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Airlock"));
    QApplication::setApplicationVersion(QString::fromLatin1(kVersion));
    QApplication::setDesktopFileName(QStringLiteral("airlock"));

    if (qEnvironmentVariableIntValue("AIRLOCK_BENCH_FIRST_FRAME") == 1)
        app.installEventFilter(new FirstFrameReporter(&app)); // owned by the app

    // The window's model and tools come from the environment for now
    // (AIRLOCK_PROVIDER, AIRLOCK_MODEL, AIRLOCK_API_KEY_ENV, AIRLOCK_TOOLS, …).
    // A project is AIRLOCK_PROJECT, or the current folder when it has an airlock.json.
    const AgentChoices choices = AgentChoices::fromEnvironment();
    QString project = qEnvironmentVariable("AIRLOCK_PROJECT");
    if (project.isEmpty() && QFile::exists(ProjectFile::fileName()))
        project = QDir::currentPath();
    MainWindow window(EventStore::defaultPath(), [choices, project]() -> Result<AgentSetup> {
        AgentChoices c = choices;
        if (!project.isEmpty())
            if (Status s = ProjectFile::applyTo(project, c); !s)
                return s.error();
        return AgentSetupBuilder::build(c);
    });
    window.show();
    return QApplication::exec();
}

} // namespace airlock

#include "app/GuiLauncher.h"

#include "app/AgentSetupBuilder.h"
#include "core/agent/ProjectFile.h"
#include "core/storage/EventStore.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/theme/ThemeController.h"
#include "ui/window/MainWindow.h"

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
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts); // Qt WebEngine, loaded later by the Preview dock
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Airlock"));
    QApplication::setApplicationVersion(QString::fromLatin1(kVersion));
    QApplication::setDesktopFileName(QStringLiteral("airlock"));

    // The saved theme before the first widget exists: the window never flashes the
    // wrong colours. Settings finds the controller on the app to change it live.
    (new ThemeController(&app))->setChoice(SettingsDialog::loadThemeChoice()); // owned by the app

    if (qEnvironmentVariableIntValue("AIRLOCK_BENCH_FIRST_FRAME") == 1)
        app.installEventFilter(new FirstFrameReporter(&app)); // owned by the app

    // A project is AIRLOCK_PROJECT, or the current folder when it has an airlock.json.
    const AgentChoices fromEnvironment = AgentChoices::fromEnvironment();
    QString project = qEnvironmentVariable("AIRLOCK_PROJECT");
    if (project.isEmpty() && QFile::exists(ProjectFile::fileName()))
        project = QDir::currentPath();
    // Saved settings (read when a chat starts, on a worker thread), the project
    // file over them, and the environment's AIRLOCK_* variables over both.
    MainWindow window(EventStore::defaultPath(), [fromEnvironment, project]() -> Result<AgentSetup> {
        AgentChoices fromProject;
        if (!project.isEmpty())
            if (Status s = ProjectFile::applyTo(project, fromProject); !s)
                return s.error();
        AgentChoices c = SettingsDialog::loadChoices().overriddenBy(fromProject).overriddenBy(fromEnvironment);
        c.projectDir = fromProject.projectDir;
        c.projectRules = fromProject.projectRules;
        return AgentSetupBuilder::build(c);
    });
    window.show();
    return QApplication::exec();
}

} // namespace airlock

#include "ui/preview/PreviewView.h"

#include "ui/preview/WebPage.h"
#include "ui/preview/WebPageFactory.h"

#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPluginLoader>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <utility>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace airlock {
namespace {

constexpr int kMaxScreenshots = 100; // the filmstrip keeps the latest ones

QLabel *note(const QString &objectName, const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setObjectName(objectName);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setMargin(16);
    return label;
}

} // namespace

PreviewView::PreviewView(QWidget *parent)
    : QWidget(parent), m_refusedNote(new QLabel(this)), m_pageStack(new QStackedWidget(this)),
      m_pageMessage(
          note(QStringLiteral("previewMessage"), tr("Open an HTML file from the workspace to preview it here."), this)),
      m_shotStack(new QStackedWidget(this)),
      m_shotsEmpty(
          note(QStringLiteral("screenshotsEmptyState"), tr("The browser tool's screenshots appear here."), this)),
      m_shot(new QLabel(this)), m_shotCaption(new QLabel(this)), m_filmstrip(new QListWidget(this))
{
    setObjectName(QStringLiteral("previewView"));
    m_pageStack->addWidget(m_pageMessage);
    m_refusedNote->setObjectName(QStringLiteral("refusedNote"));
    m_refusedNote->setWordWrap(true);
    m_refusedNote->setVisible(false);

    m_shot->setObjectName(QStringLiteral("currentScreenshot"));
    m_shot->setAlignment(Qt::AlignCenter);
    m_shot->setMinimumHeight(80);
    m_shot->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored); // the pixmap follows the label, not back
    m_shot->installEventFilter(this);                                  // rescaled when the dock is resized
    m_shotCaption->setObjectName(QStringLiteral("screenshotCaption"));
    m_shotCaption->setWordWrap(true);
    m_filmstrip->setObjectName(QStringLiteral("filmstrip"));
    m_filmstrip->setViewMode(QListView::IconMode);
    m_filmstrip->setFlow(QListView::LeftToRight);
    m_filmstrip->setWrapping(false);
    m_filmstrip->setMovement(QListView::Static);
    m_filmstrip->setIconSize(QSize(96, 64));
    m_filmstrip->setFixedHeight(100);
    connect(m_filmstrip, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0)
            showScreenshot(row);
    });
    auto *shots = new QWidget(this);
    auto *shotsLayout = new QVBoxLayout(shots);
    shotsLayout->setContentsMargins(0, 0, 0, 0);
    shotsLayout->addWidget(m_shot, 1);
    shotsLayout->addWidget(m_shotCaption);
    shotsLayout->addWidget(m_filmstrip);
    m_shotStack->addWidget(m_shotsEmpty);
    m_shotStack->addWidget(shots);

    auto *page = new QWidget(this);
    auto *pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->addWidget(m_refusedNote);
    pageLayout->addWidget(m_pageStack, 1);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(page);
    split->addWidget(m_shotStack);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

void PreviewView::setWorkspace(const QString &dir)
{
    const QString workspace = dir.isEmpty() ? QString() : QFileInfo(dir).absoluteFilePath();
    if (workspace != m_workspace)
        m_shownFile.clear(); // another session's folder: its changes are not this page's
    m_workspace = workspace;
    if (m_page)
        m_page->setAllowedRoot(m_workspace);
}

QString PreviewView::pluginPath()
{
    const QString fromEnv = qEnvironmentVariable("AIRLOCK_WEBENGINE_PLUGIN");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QDir dir(QCoreApplication::applicationDirPath());
    const QString beside = dir.filePath(QStringLiteral("airlock_webengine.so"));
    if (QFileInfo::exists(beside))
        return beside;
    return dir.filePath(QStringLiteral("../lib/airlock/airlock_webengine.so"));
}

bool PreviewView::ensureEngine()
{
    if (m_page)
        return true;
    if (!m_engineError.isEmpty())
        return false;
#ifdef Q_OS_UNIX
    // Chromium refuses to start its sandbox as root; a desktop user keeps it.
    if (::geteuid() == 0 && !qEnvironmentVariableIsSet("QTWEBENGINE_DISABLE_SANDBOX"))
        qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");
#endif
    QPluginLoader loader(pluginPath());
    QObject *instance = loader.instance(); // the loader keeps the plugin loaded for the process
    auto *factory = qobject_cast<WebPageFactory *>(instance);
    if (!factory) {
        m_engineError = tr("The browser engine could not be loaded, so previews are off: %1")
                            .arg(loader.errorString().isEmpty() ? tr("the plugin is not an Airlock web engine")
                                                                : loader.errorString());
        showMessage(m_engineError);
        Q_EMIT engineFailed(m_engineError);
        return false;
    }
    m_page = factory->create(m_pageStack);
    m_page->setAllowedRoot(m_workspace);
    m_page->setLoadFinishedHandler([this](bool ok) {
        const int refused = m_page->refusedRequests();
        m_refusedNote->setText(
            refused == 1 ? tr("⚠ 1 request outside the workspace folder (another file, the network) was blocked.")
                         : tr("⚠ %1 requests outside the workspace folder (other files, the network) were blocked.")
                               .arg(refused));
        m_refusedNote->setVisible(refused > 0);
        Q_EMIT loadFinished(ok);
    });
    m_pageStack->addWidget(m_page->widget());
    return true;
}

QString PreviewView::absolutePath(const QString &path) const
{
    return QDir::cleanPath(QDir::isAbsolutePath(path) || m_workspace.isEmpty()
                               ? QFileInfo(path).absoluteFilePath()
                               : QDir(m_workspace).absoluteFilePath(path));
}

void PreviewView::previewFile(const QString &htmlPath)
{
    const QString path = absolutePath(htmlPath);
    m_shownFile.clear();
    if (m_workspace.isEmpty()) {
        showMessage(tr("This session has no workspace yet: there is nothing to preview."));
        return;
    }
    const QString root = QDir::cleanPath(m_workspace);
    if (!QDir::cleanPath(path).startsWith(root + QLatin1Char('/'))) {
        showMessage(tr("%1 is outside the workspace; only workspace files are previewed.").arg(path));
        return;
    }
    if (!ensureEngine())
        return;
    m_refusedNote->setVisible(false);
    m_shownFile = path;
    m_page->load(QUrl::fromLocalFile(path));
    m_pageStack->setCurrentWidget(m_page->widget());
}

void PreviewView::fileChanged(const QString &path)
{
    if (m_shownFile.isEmpty() || !m_page || m_workspace.isEmpty())
        return;
    const QString changed = absolutePath(path);
    // What the page is made of: the file itself, and the stylesheets and scripts of
    // the workspace it may link (a rewritten style.css changes the page as much).
    const QString suffix = QFileInfo(changed).suffix().toLower();
    const bool asset =
        (suffix == QLatin1String("css") || suffix == QLatin1String("js") || suffix == QLatin1String("mjs")) &&
        changed.startsWith(QDir::cleanPath(m_workspace) + QLatin1Char('/'));
    if (changed != m_shownFile && !asset)
        return;
    if (std::exchange(m_reloadQueued, true))
        return;
    // After the events of this round: a call that writes several files reloads once.
    QTimer::singleShot(0, this, [this] {
        m_reloadQueued = false;
        if (m_page && !m_shownFile.isEmpty())
            m_page->load(QUrl::fromLocalFile(m_shownFile));
    });
}

void PreviewView::runJavaScript(const QString &script, std::function<void(const QVariant &)> done)
{
    if (!m_page) {
        if (done)
            done(QVariant());
        return;
    }
    m_page->runJavaScript(script, std::move(done));
}

QImage PreviewView::grabPage() const
{
    return m_page ? m_page->widget()->grab().toImage() : m_pageStack->grab().toImage();
}

QString PreviewView::message() const
{
    return m_pageStack->currentWidget() == m_pageMessage ? m_pageMessage->text() : QString();
}

void PreviewView::showMessage(const QString &text)
{
    m_pageMessage->setText(text);
    m_pageStack->setCurrentWidget(m_pageMessage);
}

void PreviewView::addScreenshot(const QImage &image, const QString &caption)
{
    if (image.isNull())
        return;
    if (m_screenshots.size() >= kMaxScreenshots) {
        m_screenshots.removeFirst();
        delete m_filmstrip->takeItem(0);
    }
    m_screenshots.append({image, caption});
    auto *item = new QListWidgetItem(
        QIcon(QPixmap::fromImage(image.scaled(m_filmstrip->iconSize(), Qt::KeepAspectRatio, Qt::SmoothTransformation))),
        QString());
    item->setToolTip(caption);
    m_filmstrip->addItem(item); // the list owns the item
    m_shotStack->setCurrentIndex(1);
    m_filmstrip->setCurrentRow(m_filmstrip->count() - 1); // the latest, shown large
}

bool PreviewView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_shot && event->type() == QEvent::Resize && m_filmstrip->currentRow() >= 0)
        showScreenshot(m_filmstrip->currentRow());
    return QWidget::eventFilter(watched, event);
}

void PreviewView::showScreenshot(int index)
{
    const Screenshot &s = m_screenshots.at(index);
    const QSize room = m_shot->size().isValid() && m_shot->width() > 10 ? m_shot->size() : QSize(640, 400);
    m_shot->setPixmap(QPixmap::fromImage(s.image.scaled(room, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    m_shotCaption->setText(s.caption);
}

} // namespace airlock

#include "ui/preview/PreviewView.h"

#include "ui/preview/WebPage.h"
#include "ui/preview/WebPageFactory.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDialog>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPluginLoader>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <utility>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace airlock {
namespace {

constexpr int kMaxScreenshots = 100; // the filmstrip keeps the latest ones

// A screenshot file as read on the pool.
struct Decoded {
    QImage image, thumbnail;
    QString error;
};

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
    : QWidget(parent), m_refusedNote(new QLabel(this)), m_forwardPicker(new QComboBox(this)),
      m_pageStack(new QStackedWidget(this)),
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
    m_forwardPicker->setObjectName(QStringLiteral("forwardPicker"));
    m_forwardPicker->setToolTip(tr("Servers inside the session's VM, forwarded to this machine's loopback"));
    m_forwardPicker->setVisible(false); // until the VM forwards a port
    connect(m_forwardPicker, &QComboBox::activated, this, [this](int index) {
        const int port = m_forwardPicker->itemData(index).toInt();
        if (port > 0)
            openForward(port);
    });

    m_shot->setObjectName(QStringLiteral("currentScreenshot"));
    m_shot->setAlignment(Qt::AlignCenter);
    m_shot->setMinimumHeight(80);
    m_shot->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored); // the pixmap follows the label, not back
    m_shot->installEventFilter(this);                                  // rescaled when the dock is resized
    m_shot->setCursor(Qt::PointingHandCursor);                         // a click enlarges it
    m_shot->setToolTip(tr("Click to see it at full size"));
    m_shotCaption->setObjectName(QStringLiteral("screenshotCaption"));
    m_shotCaption->setWordWrap(true);
    m_filmstrip->setObjectName(QStringLiteral("filmstrip"));
    m_filmstrip->setViewMode(QListView::IconMode);
    m_filmstrip->setFlow(QListView::LeftToRight);
    m_filmstrip->setWrapping(false);
    m_filmstrip->setMovement(QListView::Static);
    m_filmstrip->setIconSize(QSize(96, 64));
    m_filmstrip->setFixedHeight(120); // the thumbnail, its time and its call
    m_filmstrip->setWordWrap(true);
    m_filmstrip->setGridSize(QSize(112, 108));
    connect(m_filmstrip, &QListWidget::itemActivated, this,
            [this](QListWidgetItem *item) { enlarge(m_filmstrip->row(item)); });
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
    pageLayout->addWidget(m_forwardPicker);
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
    m_page->setAllowedLoopbackPorts(forwardedPorts());
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

QList<int> PreviewView::forwardedPorts() const
{
    QList<int> ports;
    for (const ForwardNotice &f : m_forwards)
        ports << f.hostPort;
    return ports;
}

void PreviewView::addForward(int hostPort, int guestPort)
{
    const auto known = std::find_if(m_forwards.begin(), m_forwards.end(), [&](const ForwardNotice &f) {
        return f.hostPort == hostPort && f.guestPort == guestPort;
    });
    if (known != m_forwards.end())
        return;
    // One entry a host port and one a guest port: a VM that started again forwards
    // its guest port from another host port, and the old one may be anyone's now.
    m_forwards.removeIf([&](const ForwardNotice &f) { return f.hostPort == hostPort || f.guestPort == guestPort; });
    m_forwards << ForwardNotice{hostPort, guestPort};
    m_forwardPicker->clear();
    m_forwardPicker->addItem(tr("VM ports: open a server the VM forwards…"), 0);
    for (const ForwardNotice &f : std::as_const(m_forwards))
        m_forwardPicker->addItem(tr("localhost:%1 → the VM's port %2").arg(f.hostPort).arg(f.guestPort), f.hostPort);
    m_forwardPicker->setVisible(true);
    if (m_page)
        m_page->setAllowedLoopbackPorts(forwardedPorts());
}

bool PreviewView::addForwardFrom(const payloads::LogLine &line)
{
    if (line.stream != QLatin1String(ForwardNotice::kStream))
        return false;
    bool any = false;
    for (const QString &text : line.text.split(u'\n'))
        if (const std::optional<ForwardNotice> f = ForwardNotice::parse(text)) {
            addForward(f->hostPort, f->guestPort);
            any = true;
        }
    return any;
}

void PreviewView::clearForwards()
{
    m_forwards.clear();
    m_forwardPicker->clear();
    m_forwardPicker->setVisible(false);
    if (m_page)
        m_page->setAllowedLoopbackPorts({});
}

void PreviewView::openForward(int hostPort)
{
    if (!forwardedPorts().contains(hostPort)) {
        showMessage(tr("The VM does not forward port %1.").arg(hostPort));
        return;
    }
    if (!ensureEngine())
        return;
    m_refusedNote->setVisible(false);
    m_shownFile.clear(); // not a workspace file: a call's changes do not reload it
    m_page->load(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(hostPort)));
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
    appendScreenshot(image, caption, QString());
}

void PreviewView::appendScreenshot(QImage image, const QString &caption, const QString &label)
{
    if (m_screenshots.size() >= kMaxScreenshots) {
        m_screenshots.removeFirst();
        delete m_filmstrip->takeItem(0);
    }
    const bool loading = image.isNull();
    QIcon icon;
    if (!loading)
        icon = QIcon(
            QPixmap::fromImage(image.scaled(m_filmstrip->iconSize(), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    m_screenshots.append({std::move(image), caption, ++m_serials, loading, QString()});
    auto *item = new QListWidgetItem(icon, label);
    item->setToolTip(caption);
    item->setTextAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_filmstrip->addItem(item); // the list owns the item
    m_shotStack->setCurrentIndex(1);
    m_filmstrip->setCurrentRow(m_filmstrip->count() - 1); // the latest, shown large
}

void PreviewView::addScreenshot(const payloads::Screenshot &shot)
{
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(shot.timeMs);
    const QString time = shot.timeMs > 0 ? QLocale().toString(at.time(), QStringLiteral("HH:mm:ss")) : QString();
    QString caption = shot.caption();
    if (shot.timeMs > 0)
        caption = QLocale().toString(at, QLocale::ShortFormat) + QStringLiteral(" \u00b7 ") + caption;
    caption += QStringLiteral(" \u00b7 ") + shot.path;
    // Under the thumbnail: when, and the call it came from (ids are long: their end tells them apart).
    const QString call = shot.callId.size() > 10 ? QStringLiteral("\u2026") + shot.callId.right(9) : shot.callId;
    appendScreenshot(QImage(), caption, time + QLatin1Char('\n') + call);
    const qint64 serial = m_serials;
    const QString path = absolutePath(shot.path);
    const QSize iconSize = m_filmstrip->iconSize();
    auto *watcher = new QFutureWatcher<Decoded>(this);
    connect(watcher, &QFutureWatcher<Decoded>::finished, this, [this, watcher, serial] {
        const Decoded d = watcher->result();
        watcher->deleteLater();
        screenshotDecoded(serial, d.image, d.thumbnail, d.error);
    });
    // Read and scaled on the pool: the disk and the decoder never hold up a frame.
    watcher->setFuture(QtConcurrent::run([path, iconSize] {
        Decoded d;
        QImageReader reader(path);
        d.image = reader.read();
        if (d.image.isNull())
            d.error = tr("%1 could not be read: %2").arg(path, reader.errorString());
        else
            d.thumbnail = d.image.scaled(iconSize, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        return d;
    }));
}

void PreviewView::addScreenshots(const std::vector<Event> &events)
{
    for (const Event &e : events)
        if (e.knownKind() == EventKind::Screenshot)
            addScreenshot(payloads::Screenshot::from(e));
}

void PreviewView::clearScreenshots()
{
    m_screenshots.clear(); // a file still being read finds no row and is dropped
    m_filmstrip->clear();
    m_shot->setPixmap(QPixmap());
    m_shot->clear();
    m_shotCaption->clear();
    m_shotStack->setCurrentWidget(m_shotsEmpty);
}

int PreviewView::rowOf(qint64 serial) const
{
    for (int i = 0; i < m_screenshots.size(); ++i)
        if (m_screenshots.at(i).serial == serial)
            return i;
    return -1;
}

void PreviewView::screenshotDecoded(qint64 serial, const QImage &image, const QImage &thumbnail, const QString &error)
{
    const int row = rowOf(serial);
    if (row < 0)
        return; // dropped from the filmstrip meanwhile
    Screenshot &s = m_screenshots[row];
    s.loading = false;
    s.image = image;
    s.error = error;
    if (QListWidgetItem *item = m_filmstrip->item(row)) {
        if (!thumbnail.isNull())
            item->setIcon(QIcon(QPixmap::fromImage(thumbnail)));
        else
            item->setToolTip(s.caption + QLatin1Char('\n') + error);
    }
    if (m_filmstrip->currentRow() == row)
        showScreenshot(row);
    Q_EMIT screenshotLoaded(row);
}

int PreviewView::screenshotsLoading() const
{
    return int(
        std::count_if(m_screenshots.cbegin(), m_screenshots.cend(), [](const Screenshot &s) { return s.loading; }));
}

QImage PreviewView::screenshotImage(int row) const
{
    return row >= 0 && row < m_screenshots.size() ? m_screenshots.at(row).image : QImage();
}

QDialog *PreviewView::enlarge(int row)
{
    if (row < 0 || row >= m_screenshots.size() || m_screenshots.at(row).image.isNull())
        return nullptr;
    const Screenshot &s = m_screenshots.at(row);
    auto *dialog = new QDialog(this); // deleted when closed
    dialog->setObjectName(QStringLiteral("screenshotViewer"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(s.caption);
    auto *label = new QLabel(dialog);
    label->setObjectName(QStringLiteral("enlargedScreenshot"));
    label->setPixmap(QPixmap::fromImage(s.image)); // at its own size: the scroll area pans
    auto *scroll = new QScrollArea(dialog);
    scroll->setWidget(label);
    scroll->setAlignment(Qt::AlignCenter);
    auto *caption = new QLabel(s.caption, dialog);
    caption->setWordWrap(true);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(scroll, 1);
    layout->addWidget(caption);
    dialog->resize(s.image.size().boundedTo(QSize(1280, 860)) + QSize(40, 80));
    dialog->show();
    return dialog;
}

bool PreviewView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_shot && event->type() == QEvent::Resize && m_filmstrip->currentRow() >= 0)
        showScreenshot(m_filmstrip->currentRow());
    if (watched == m_shot && event->type() == QEvent::MouseButtonRelease)
        enlarge(m_filmstrip->currentRow());
    return QWidget::eventFilter(watched, event);
}

void PreviewView::showScreenshot(int index)
{
    const Screenshot &s = m_screenshots.at(index);
    m_shotCaption->setText(s.caption);
    if (s.image.isNull()) {
        m_shot->setPixmap(QPixmap());
        m_shot->setText(s.loading ? tr("Loading\u2026") : s.error);
        return;
    }
    const QSize room = m_shot->size().isValid() && m_shot->width() > 10 ? m_shot->size() : QSize(640, 400);
    m_shot->setPixmap(QPixmap::fromImage(s.image.scaled(room, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
}

} // namespace airlock

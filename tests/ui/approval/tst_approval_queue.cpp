// The queue of waiting calls: what it lists, and that "Approve all" only approves
// what the person could read.

#include "ui/approval/ApprovalQueue.h"

#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace airlock;

class TestApprovalQueue final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void listsCallsInOrderAndHidesForOne();
    void approveAllWaitsUntilLongCallsWereSeen();
};

namespace {

PendingApproval call(const QString &id, const QString &text)
{
    PendingApproval p;
    p.callId = id;
    p.tool = QStringLiteral("exec");
    p.input = QJsonObject{{QStringLiteral("command"), text}};
    return p;
}

} // namespace

void TestApprovalQueue::listsCallsInOrderAndHidesForOne()
{
    ApprovalQueue queue;
    queue.show();
    queue.setCalls({call(QStringLiteral("a"), QStringLiteral("ls"))}, QStringLiteral("a"));
    QVERIFY(queue.isHidden()); // one call is the card alone
    QSignalSpy selected(&queue, &ApprovalQueue::selected);
    queue.setCalls({call(QStringLiteral("a"), QStringLiteral("ls")), call(QStringLiteral("b"), QStringLiteral("pwd"))},
                   QStringLiteral("a"));
    QVERIFY(!queue.isHidden());
    QCOMPARE(queue.list()->count(), 2);
    QVERIFY(queue.list()->item(1)->text().startsWith(QLatin1String("2. exec")));
    QCOMPARE(selected.size(), 0); // rebuilding is not a choice
    queue.list()->setCurrentRow(1);
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().at(0).toString(), QStringLiteral("b"));
}

void TestApprovalQueue::approveAllWaitsUntilLongCallsWereSeen()
{
    ApprovalQueue queue;
    const QString longCommand =
        QStringLiteral("echo start; ") + QString(300, QLatin1Char('x')) + QStringLiteral("; rm -rf ~");
    const QList<PendingApproval> calls{call(QStringLiteral("a"), QStringLiteral("ls")),
                                       call(QStringLiteral("b"), longCommand)};
    queue.setCalls(calls, QStringLiteral("a"));
    QVERIFY(!queue.list()->item(1)->text().contains(QLatin1String("rm -rf"))); // shortened in the list
    QVERIFY(!queue.approveAllButton()->isEnabled());
    QVERIFY(queue.whyNotApproveAll().contains(QLatin1String("2. exec")));
    // Once it was on the card, the batch may go.
    queue.setCalls(calls, QStringLiteral("b"));
    queue.setCalls(calls, QStringLiteral("a"));
    QVERIFY(queue.approveAllButton()->isEnabled());
    QVERIFY(queue.whyNotApproveAll().isEmpty());
}

QTEST_MAIN(TestApprovalQueue)
#include "tst_approval_queue.moc"

// The chat's model picker on its own: a model is chosen only from the open list or
// with Enter, never by the wheel or arrow keys, and showing or resetting the model
// in effect chooses nothing.

#include "ui/chat/ModelPicker.h"

#include <QAbstractItemView>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

using namespace airlock;

class TestModelPicker final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void suggestsPricedModelsAfterAnEmptyChoice();
    void enterChoosesTheTypedModel();
    void wheelAndArrowsDoNotStep();
    void showingAndResettingChooseNothing();
    void openingTheListAsksForTheCatalog();
};

void TestModelPicker::suggestsPricedModelsAfterAnEmptyChoice()
{
    ModelPicker picker;
    QCOMPARE(picker.objectName(), QStringLiteral("modelPicker"));
    QVERIFY(picker.count() > 1);
    QCOMPARE(picker.itemText(0), QString()); // "the model from Settings"
    QCOMPARE(picker.currentIndex(), 0);
}

void TestModelPicker::enterChoosesTheTypedModel()
{
    ModelPicker picker;
    picker.show();
    QVERIFY(QTest::qWaitForWindowExposed(&picker));
    QSignalSpy chosen(&picker, &ModelPicker::modelChosen);
    picker.lineEdit()->setText(QStringLiteral("my-model"));
    QTest::keyClick(picker.lineEdit(), Qt::Key_Return);
    // QComboBox hands the Return on to its line edit again, so it may come twice;
    // choosing the same model twice is one change (ChatPanel::chooseModel).
    QVERIFY(chosen.count() >= 1);
    for (const QList<QVariant> &args : chosen)
        QCOMPARE(args.at(0).toString(), QStringLiteral("my-model"));
}

void TestModelPicker::wheelAndArrowsDoNotStep()
{
    ModelPicker picker;
    picker.show();
    QVERIFY(QTest::qWaitForWindowExposed(&picker));
    QSignalSpy chosen(&picker, &ModelPicker::modelChosen);
    const QPointF at(picker.rect().center());
    QWheelEvent wheel(at, picker.mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(&picker, &wheel);
    QTest::keyClick(&picker, Qt::Key_Down);
    QTest::keyClick(&picker, Qt::Key_PageDown);
    QCOMPARE(picker.currentIndex(), 0);
    QCOMPARE(chosen.count(), 0);
}

void TestModelPicker::showingAndResettingChooseNothing()
{
    ModelPicker picker;
    QSignalSpy chosen(&picker, &ModelPicker::modelChosen);
    QSignalSpy edited(&picker, &QComboBox::editTextChanged);
    picker.showModel(QStringLiteral("gpt-4o"));
    QCOMPARE(picker.currentText(), QStringLiteral("gpt-4o"));
    picker.resetChoice();
    QCOMPARE(picker.currentIndex(), 0);
    QCOMPARE(picker.currentText(), QString());
    QCOMPARE(chosen.count(), 0);
    QCOMPARE(edited.count(), 0); // signals held back: the panel sees no edit
}

void TestModelPicker::openingTheListAsksForTheCatalog()
{
    ModelPicker picker;
    picker.show();
    QVERIFY(QTest::qWaitForWindowExposed(&picker));
    QSignalSpy opened(&picker, &ModelPicker::listOpened);
    picker.showPopup();
    QTRY_COMPARE(opened.count(), 1);
    picker.hidePopup();
}

QTEST_MAIN(TestModelPicker)
#include "tst_model_picker.moc"

#pragma once

// Edits a call's arguments the way its input schema describes them: one field per
// top-level property (text, multi-line text, number, check box, choice, or JSON for
// objects, arrays and anything else), each checked against the schema as it is
// typed, with the problem shown beside the field. "Raw JSON" edits the whole object
// as text instead. The agent validates again on approval; this is so the person
// sees a problem before pressing the button, not after.

#include "core/tools/JsonSchemaValidator.h"

#include <QJsonObject>
#include <QList>
#include <QWidget>

#include <optional>

class QCheckBox;
class QFormLayout;
class QLabel;
class QPlainTextEdit;

namespace airlock {

class ArgumentEditor final : public QWidget {
    Q_OBJECT
public:
    explicit ArgumentEditor(QWidget *parent = nullptr);

    // `shellField`: a command line, edited as multi-line text.
    void setCall(const QJsonObject &input, const QJsonObject &schema, const QString &shellField = {});
    // The arguments as edited; nothing while a field cannot be read (a number that
    // is not one, JSON that does not parse).
    std::optional<QJsonObject> input() const;
    // Readable and valid against the schema.
    bool isValid() const { return m_valid; }
    // Every problem, one per line (empty when valid).
    QString problems() const { return m_problems; }

    // The keyboard goes to the first field (or the raw text).
    void focusFirstField();
    bool isRaw() const;
    void setRaw(bool raw);
    // The field's editor and its error label (for tests); null if there is none.
    QWidget *fieldWidget(const QString &field) const;
    QLabel *fieldError(const QString &field) const;
    QPlainTextEdit *rawEditor() const { return m_raw; }

Q_SIGNALS:
    // Whenever the arguments change and can be read (valid or not).
    void edited(const QJsonObject &input);
    void validityChanged(bool valid);

private:
    enum class Kind { Text, LongText, Number, Integer, Boolean, Choice, Json };
    struct Field {
        QString name;
        Kind kind = Kind::Json;
        bool required = false;
        QWidget *editor = nullptr;
        QLabel *error = nullptr;
        QLabel *label = nullptr;
    };

    void clearFields();
    void addField(const QString &name, const QJsonObject &propertySchema, const QJsonValue &value, bool required,
                  const QString &shellField);
    void fill(const Field &field, const QJsonValue &value);
    // The field's value; nothing with `*error` empty: left out of the object.
    std::optional<QJsonValue> read(const Field &field, QString *error) const;
    std::optional<QJsonObject> readFields(QStringList *problems) const;
    void revalidate();

    QJsonObject m_schema;
    std::optional<JsonSchemaValidator> m_validator;
    QList<Field> m_fields;
    QWidget *m_form;
    QFormLayout *m_formLayout;
    QPlainTextEdit *m_raw;
    QCheckBox *m_rawToggle;
    QLabel *m_general; // problems no field owns (a missing property, the whole object)
    bool m_valid = false;
    bool m_filling = false;
    QString m_problems;
};

} // namespace airlock

#include "ui/approval/ArgumentEditor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace airlock {
namespace {

// The first non-null type a property allows ("type": ["string", "null"] is a string).
QString typeOf(const QJsonObject &schema)
{
    const QJsonValue type = schema.value(QLatin1String("type"));
    if (type.isString())
        return type.toString();
    for (const QJsonValue &t : type.toArray())
        if (t.toString() != QLatin1String("null"))
            return t.toString();
    return {};
}

QString jsonText(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented));
    if (v.isUndefined())
        return {};
    return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

std::optional<QJsonValue> parseJsonValue(const QString &text, QString *error)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(QStringLiteral("[%1]").arg(text).toUtf8(), &err);
    if (err.error != QJsonParseError::NoError || doc.array().size() != 1) {
        *error = ArgumentEditor::tr("Not valid JSON: %1").arg(err.errorString());
        return std::nullopt;
    }
    return doc.array().first();
}

// "/content/0" → "content"; "" for the whole object.
QString topField(const QString &pointer)
{
    if (!pointer.startsWith(u'/'))
        return {};
    QString first = pointer.mid(1).section(u'/', 0, 0);
    return first.replace(QLatin1String("~1"), QLatin1String("/")).replace(QLatin1String("~0"), QLatin1String("~"));
}

QPlainTextEdit *multiLine(QWidget *parent, int lines)
{
    auto *edit = new QPlainTextEdit(parent);
    const int line = edit->fontMetrics().lineSpacing();
    // Long values scroll inside the field: the card never grows past the window.
    edit->setMinimumHeight(line * 3 + 8);
    edit->setMaximumHeight(line * lines + 8);
    edit->setTabChangesFocus(true);
    return edit;
}

} // namespace

ArgumentEditor::ArgumentEditor(QWidget *parent)
    : QWidget(parent), m_form(new QWidget(this)), m_formLayout(new QFormLayout(m_form)), m_raw(multiLine(this, 14)),
      m_rawToggle(new QCheckBox(tr("Raw JSON"), this)), m_general(new QLabel(this))
{
    setObjectName(QStringLiteral("argumentEditor"));
    m_formLayout->setContentsMargins(0, 0, 0, 0);
    m_formLayout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_raw->setObjectName(QStringLiteral("rawArguments"));
    m_raw->setFont(QFont(QStringLiteral("monospace")));
    m_raw->hide();
    m_rawToggle->setObjectName(QStringLiteral("rawArgumentsToggle"));
    m_rawToggle->setToolTip(tr("Edit all the arguments as one JSON object"));
    m_general->setObjectName(QStringLiteral("argumentProblems"));
    m_general->setStyleSheet(QStringLiteral("color:#c62828;"));
    m_general->setWordWrap(true);
    m_general->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_rawToggle, 0, Qt::AlignRight);
    layout->addWidget(m_form);
    layout->addWidget(m_raw);
    layout->addWidget(m_general);

    connect(m_rawToggle, &QCheckBox::toggled, this, &ArgumentEditor::setRaw);
    connect(m_raw, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_filling)
            revalidate();
    });
}

void ArgumentEditor::clearFields()
{
    while (m_formLayout->rowCount() > 0)
        m_formLayout->removeRow(0);
    m_fields.clear();
}

void ArgumentEditor::setCall(const QJsonObject &input, const QJsonObject &schema, const QString &shellField)
{
    m_filling = true;
    clearFields();
    m_schema = schema;
    m_validator.emplace(schema);
    const QJsonObject props = schema.value(QLatin1String("properties")).toObject();
    QStringList required;
    for (const QJsonValue &r : schema.value(QLatin1String("required")).toArray())
        required << r.toString();
    QStringList keys = props.keys();
    for (const QString &k : input.keys())
        if (!keys.contains(k))
            keys << k;
    for (const QString &key : keys)
        addField(key, props.value(key).toObject(), input.value(key), required.contains(key), shellField);
    m_raw->setPlainText(QString::fromUtf8(QJsonDocument(input).toJson(QJsonDocument::Indented)));
    m_filling = false;
    {
        const QSignalBlocker quiet(m_rawToggle);
        m_rawToggle->setChecked(false);
    }
    m_form->show();
    m_raw->hide();
    revalidate();
}

void ArgumentEditor::addField(const QString &name, const QJsonObject &prop, const QJsonValue &value, bool required,
                              const QString &shellField)
{
    Field f;
    f.name = name;
    f.required = required;
    const QString type = typeOf(prop);
    const QJsonArray choices = prop.value(QLatin1String("enum")).toArray();
    if (!choices.isEmpty()) {
        f.kind = Kind::Choice;
        auto *combo = new QComboBox(m_form);
        if (!required)
            combo->addItem(tr("(not set)"));
        for (const QJsonValue &c : choices)
            combo->addItem(c.isString() ? c.toString() : jsonText(c), c.toVariant());
        connect(combo, &QComboBox::currentIndexChanged, this, [this] {
            if (!m_filling)
                revalidate();
        });
        f.editor = combo;
    } else if (type == QLatin1String("string")) {
        const QString text = value.toString();
        const bool longText = name == shellField || text.contains(u'\n') || text.size() > 80 ||
                              prop.value(QLatin1String("maxLength")).toInt(0) > 200;
        if (longText) {
            f.kind = Kind::LongText;
            auto *edit = multiLine(m_form, 10);
            if (name == shellField)
                edit->setFont(QFont(QStringLiteral("monospace")));
            connect(edit, &QPlainTextEdit::textChanged, this, [this] {
                if (!m_filling)
                    revalidate();
            });
            f.editor = edit;
        } else {
            f.kind = Kind::Text;
            auto *edit = new QLineEdit(m_form);
            connect(edit, &QLineEdit::textChanged, this, [this] {
                if (!m_filling)
                    revalidate();
            });
            f.editor = edit;
        }
    } else if (type == QLatin1String("integer") || type == QLatin1String("number")) {
        f.kind = type == QLatin1String("integer") ? Kind::Integer : Kind::Number;
        auto *edit = new QLineEdit(m_form);
        edit->setPlaceholderText(required ? QString() : tr("(not set)"));
        connect(edit, &QLineEdit::textChanged, this, [this] {
            if (!m_filling)
                revalidate();
        });
        f.editor = edit;
    } else if (type == QLatin1String("boolean")) {
        f.kind = Kind::Boolean;
        auto *box = new QCheckBox(m_form);
        box->setTristate(!required); // partly checked: left out
        connect(box, &QCheckBox::stateChanged, this, [this] {
            if (!m_filling)
                revalidate();
        });
        f.editor = box;
    } else {
        f.kind = Kind::Json;
        auto *edit = multiLine(m_form, 8);
        edit->setFont(QFont(QStringLiteral("monospace")));
        edit->setPlaceholderText(tr("JSON"));
        connect(edit, &QPlainTextEdit::textChanged, this, [this] {
            if (!m_filling)
                revalidate();
        });
        f.editor = edit;
    }
    f.editor->setObjectName(QStringLiteral("argument_%1").arg(name));
    f.error = new QLabel(m_form);
    f.error->setObjectName(QStringLiteral("argumentError_%1").arg(name));
    f.error->setStyleSheet(QStringLiteral("color:#c62828;"));
    f.error->setWordWrap(true);
    f.error->hide();
    auto *cell = new QWidget(m_form);
    auto *cellLayout = new QVBoxLayout(cell);
    cellLayout->setContentsMargins(0, 0, 0, 0);
    cellLayout->setSpacing(2);
    cellLayout->addWidget(f.editor);
    cellLayout->addWidget(f.error);
    const QString description = prop.value(QLatin1String("description")).toString();
    f.label =
        new QLabel(required ? QStringLiteral("<b>%1</b>").arg(name.toHtmlEscaped()) : name.toHtmlEscaped(), m_form);
    f.label->setToolTip(description);
    cell->setToolTip(description);
    m_formLayout->addRow(f.label, cell);
    fill(f, value);
    m_fields.append(f);
}

void ArgumentEditor::fill(const Field &f, const QJsonValue &value)
{
    switch (f.kind) {
    case Kind::Text:
        static_cast<QLineEdit *>(f.editor)->setText(value.toString());
        break;
    case Kind::LongText:
        static_cast<QPlainTextEdit *>(f.editor)->setPlainText(value.toString());
        break;
    case Kind::Number:
    case Kind::Integer:
        static_cast<QLineEdit *>(f.editor)->setText(value.isUndefined() ? QString() : jsonText(value));
        break;
    case Kind::Boolean: {
        auto *box = static_cast<QCheckBox *>(f.editor);
        box->setCheckState(value.isBool() ? (value.toBool() ? Qt::Checked : Qt::Unchecked)
                                          : (box->isTristate() ? Qt::PartiallyChecked : Qt::Unchecked));
        break;
    }
    case Kind::Choice: {
        auto *combo = static_cast<QComboBox *>(f.editor);
        const int at = value.isUndefined() ? -1 : combo->findData(value.toVariant());
        combo->setCurrentIndex(at >= 0 ? at : 0);
        break;
    }
    case Kind::Json:
        static_cast<QPlainTextEdit *>(f.editor)->setPlainText(jsonText(value));
        break;
    }
}

std::optional<QJsonValue> ArgumentEditor::read(const Field &f, QString *error) const
{
    error->clear();
    switch (f.kind) {
    case Kind::Text: {
        const QString text = static_cast<QLineEdit *>(f.editor)->text();
        if (text.isEmpty() && !f.required)
            return std::nullopt;
        return QJsonValue(text);
    }
    case Kind::LongText: {
        const QString text = static_cast<QPlainTextEdit *>(f.editor)->toPlainText();
        if (text.isEmpty() && !f.required)
            return std::nullopt;
        return QJsonValue(text);
    }
    case Kind::Number:
    case Kind::Integer: {
        const QString text = static_cast<QLineEdit *>(f.editor)->text().trimmed();
        if (text.isEmpty()) {
            if (f.required)
                *error = tr("Enter a number.");
            return std::nullopt;
        }
        bool ok = false;
        if (f.kind == Kind::Integer) {
            const qlonglong n = text.toLongLong(&ok);
            if (!ok) {
                *error = tr("Enter a whole number, like 42.");
                return std::nullopt;
            }
            return QJsonValue(n);
        }
        const double d = text.toDouble(&ok);
        if (!ok) {
            *error = tr("Enter a number, like 1.5.");
            return std::nullopt;
        }
        return QJsonValue(d);
    }
    case Kind::Boolean: {
        const Qt::CheckState state = static_cast<QCheckBox *>(f.editor)->checkState();
        if (state == Qt::PartiallyChecked)
            return std::nullopt;
        return QJsonValue(state == Qt::Checked);
    }
    case Kind::Choice: {
        const auto *combo = static_cast<QComboBox *>(f.editor);
        const QVariant data = combo->currentData();
        if (!data.isValid())
            return std::nullopt; // "(not set)"
        return QJsonValue::fromVariant(data);
    }
    case Kind::Json: {
        const QString text = static_cast<QPlainTextEdit *>(f.editor)->toPlainText().trimmed();
        if (text.isEmpty())
            return std::nullopt;
        return parseJsonValue(text, error);
    }
    }
    return std::nullopt;
}

std::optional<QJsonObject> ArgumentEditor::readFields(QStringList *problems) const
{
    QJsonObject out;
    bool readable = true;
    for (const Field &f : m_fields) {
        QString error;
        const std::optional<QJsonValue> v = read(f, &error);
        if (!error.isEmpty()) {
            readable = false;
            if (problems)
                problems->append(QStringLiteral("%1: %2").arg(f.name, error));
        }
        if (v)
            out.insert(f.name, *v);
    }
    return readable ? std::optional<QJsonObject>(out) : std::nullopt;
}

std::optional<QJsonObject> ArgumentEditor::input() const
{
    if (isRaw()) {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(m_raw->toPlainText().toUtf8(), &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject())
            return std::nullopt;
        return doc.object();
    }
    return readFields(nullptr);
}

void ArgumentEditor::focusFirstField()
{
    if (isRaw() || m_fields.isEmpty())
        m_raw->setFocus();
    else
        m_fields.first().editor->setFocus();
}

bool ArgumentEditor::isRaw() const
{
    return m_rawToggle->isChecked();
}

void ArgumentEditor::setRaw(bool raw)
{
    if (raw) {
        // The fields as they are now, if they can be read; else the text stays.
        if (const std::optional<QJsonObject> fields = readFields(nullptr)) {
            m_filling = true;
            m_raw->setPlainText(QString::fromUtf8(QJsonDocument(*fields).toJson(QJsonDocument::Indented)));
            m_filling = false;
        }
    } else {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(m_raw->toPlainText().toUtf8(), &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject()) {
            // Fields cannot show what does not parse: stay in raw mode and say why.
            const QSignalBlocker quiet(m_rawToggle);
            m_rawToggle->setChecked(true);
            m_general->setText(tr("Fix the JSON before going back to the fields: %1").arg(err.errorString()));
            m_general->show();
            return;
        }
        m_filling = true;
        for (const Field &f : m_fields)
            fill(f, doc.object().value(f.name));
        m_filling = false;
    }
    {
        const QSignalBlocker quiet(m_rawToggle);
        m_rawToggle->setChecked(raw);
    }
    m_form->setVisible(!raw);
    m_raw->setVisible(raw);
    revalidate();
}

void ArgumentEditor::revalidate()
{
    QStringList general;
    QHash<QString, QStringList> byField;
    std::optional<QJsonObject> current;
    if (isRaw()) {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(m_raw->toPlainText().toUtf8(), &err);
        if (err.error != QJsonParseError::NoError)
            general << tr("Not valid JSON: %1 (at character %2)").arg(err.errorString()).arg(err.offset);
        else if (!doc.isObject())
            general << tr("The arguments must be one JSON object: { … }");
        else
            current = doc.object();
    } else {
        for (const Field &f : m_fields) {
            QString error;
            (void)read(f, &error);
            if (!error.isEmpty())
                byField[f.name] << error;
        }
        current = readFields(nullptr);
    }
    if (current && m_validator) {
        for (const SchemaViolation &v : m_validator->validate(*current)) {
            const QString field = topField(v.path);
            const bool shown = !isRaw() && std::any_of(m_fields.cbegin(), m_fields.cend(),
                                                       [&](const Field &f) { return f.name == field; });
            if (shown)
                byField[field] << v.message;
            else
                general << v.toString();
        }
    }
    QStringList all;
    for (const Field &f : m_fields) {
        const QStringList errors = byField.value(f.name);
        f.error->setText(errors.join(QLatin1Char('\n')));
        f.error->setVisible(!errors.isEmpty() && !isRaw());
        for (const QString &e : errors)
            all << QStringLiteral("%1: %2").arg(f.name, e);
    }
    m_general->setText(general.join(QLatin1Char('\n')));
    m_general->setVisible(!general.isEmpty());
    all << general;
    m_problems = all.join(QLatin1Char('\n'));
    const bool valid = current && all.isEmpty();
    const bool changed = valid != m_valid;
    m_valid = valid;
    if (current)
        Q_EMIT edited(*current);
    if (changed)
        Q_EMIT validityChanged(valid);
}

QWidget *ArgumentEditor::fieldWidget(const QString &field) const
{
    for (const Field &f : m_fields)
        if (f.name == field)
            return f.editor;
    return nullptr;
}

QLabel *ArgumentEditor::fieldError(const QString &field) const
{
    for (const Field &f : m_fields)
        if (f.name == field)
            return f.error;
    return nullptr;
}

} // namespace airlock

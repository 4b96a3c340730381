#pragma once

// Strings across the V8 boundary, for the helper: Qt text to V8 strings and back,
// and clipping what tool code produced to a size fit for a frame.

#include <QByteArray>
#include <QString>

#include <v8.h>

namespace airlock::jsd {

v8::Local<v8::String> str(v8::Isolate *isolate, const char *text);
v8::Local<v8::String> str(v8::Isolate *isolate, const QByteArray &utf8);
v8::Local<v8::String> str(v8::Isolate *isolate, const QString &text);
// The value's string conversion; empty for an empty handle.
QString qstr(v8::Isolate *isolate, v8::Local<v8::Value> value);
// At most `max` characters, saying how many there were when cut.
QString clip(QString text, qsizetype max);
// "an Error", "a TypeError".
QString withArticle(const QString &noun);

} // namespace airlock::jsd

// Proves the V8 found by cmake/FindV8.cmake links and runs: an isolate evaluates 1+1.

#include "sandbox/isolate/V8Platform.h"

#include <QTest>

#include <libplatform/libplatform.h>
#include <v8.h>

#include <memory>

class TestV8Smoke final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void isolateEvaluatesOnePlusOne();
};

void TestV8Smoke::isolateEvaluatesOnePlusOne()
{
    airlock::V8Platform::ensureInitialized();
    std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    v8::Isolate *isolate = v8::Isolate::New(params);
    QVERIFY(isolate);
    int result = 0;
    {
        v8::Isolate::Scope isolateScope(isolate);
        v8::HandleScope handles(isolate);
        v8::Local<v8::Context> context = v8::Context::New(isolate);
        v8::Context::Scope contextScope(context);
        v8::Local<v8::String> source = v8::String::NewFromUtf8Literal(isolate, "1+1");
        v8::Local<v8::Script> script = v8::Script::Compile(context, source).ToLocalChecked();
        result = script->Run(context).ToLocalChecked()->Int32Value(context).FromMaybe(-1);
    }
    isolate->Dispose();
    QCOMPARE(result, 2);
    QVERIFY(QByteArray(airlock::V8Platform::v8Version()).startsWith("1"));
}

QTEST_GUILESS_MAIN(TestV8Smoke)
#include "tst_v8_smoke.moc"

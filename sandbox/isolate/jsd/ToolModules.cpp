#include "sandbox/isolate/jsd/ToolModules.h"

#include "sandbox/isolate/jsd/PreparedContext.h"
#include "sandbox/isolate/jsd/ToolCall.h"
#include "sandbox/isolate/jsd/ToolIsolate.h"
#include "sandbox/isolate/jsd/V8Strings.h"

#include <vector>

namespace airlock::jsd {

v8::MaybeLocal<v8::Promise> ToolModules::dynamicImport(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                                       v8::Local<v8::Value>, v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray>)
{
    v8::Isolate *isolate = context->GetIsolate();
    v8::Local<v8::Promise::Resolver> resolver;
    if (!v8::Promise::Resolver::New(context).ToLocal(&resolver))
        return {};
    const QString message = QStringLiteral("import(\"%1\") refused: %2, and only with a static import")
                                .arg(qstr(isolate, specifier), QString::fromLatin1(kImportRefusal));
    resolver->Reject(context, v8::Exception::Error(str(isolate, message))).Check();
    return resolver->GetPromise();
}

v8::MaybeLocal<v8::Module> ToolModules::resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                v8::Local<v8::FixedArray>, v8::Local<v8::Module>)
{
    v8::Isolate *isolate = context->GetIsolate();
    const QString name = qstr(isolate, specifier);
    PreparedContext &prepared = *ToolIsolate::currentContext(isolate);
    if (auto it = prepared.modules.find(name); it != prepared.modules.end())
        return it->second.Get(isolate);
    std::vector<v8::Local<v8::String>> exports;
    if (name == QLatin1String("zod")) {
        v8::Local<v8::Array> names = prepared.zodExports.Get(isolate);
        for (uint32_t i = 0; i < names->Length(); ++i) {
            v8::Local<v8::Value> exportName;
            if (names->Get(context, i).ToLocal(&exportName) && exportName->IsString())
                exports.push_back(exportName.As<v8::String>());
        }
    } else if (name == QLatin1String("airlock")) {
        exports = {str(isolate, "defineTool"), str(isolate, "z")};
    } else {
        // Checked before instantiation; kept as a last line of defence.
        isolate->ThrowException(v8::Exception::Error(
            str(isolate, QStringLiteral("import \"%1\" refused: %2").arg(name, QString::fromLatin1(kImportRefusal)))));
        return {};
    }
    v8::Local<v8::Module> module =
        v8::Module::CreateSyntheticModule(isolate, specifier, exports, &ToolModules::evaluateSynthetic);
    prepared.modules[name].Reset(isolate, module);
    return module;
}

v8::MaybeLocal<v8::Value> ToolModules::evaluateSynthetic(v8::Local<v8::Context> context, v8::Local<v8::Module> module)
{
    v8::Isolate *isolate = context->GetIsolate();
    PreparedContext &prepared = *ToolIsolate::currentContext(isolate);
    v8::Local<v8::Object> z = prepared.z.Get(isolate);
    const bool isZod =
        prepared.modules.count(QStringLiteral("zod")) && prepared.modules[QStringLiteral("zod")].Get(isolate) == module;
    if (isZod) {
        v8::Local<v8::Array> names = prepared.zodExports.Get(isolate);
        for (uint32_t i = 0; i < names->Length(); ++i) {
            v8::Local<v8::Value> exportName;
            if (!names->Get(context, i).ToLocal(&exportName) || !exportName->IsString())
                continue;
            v8::Local<v8::String> name = exportName.As<v8::String>();
            const QString key = qstr(isolate, name);
            v8::Local<v8::Value> value;
            if (key == QLatin1String("z") || key == QLatin1String("default"))
                value = z;
            else if (!z->Get(context, name).ToLocal(&value))
                return {};
            if (module->SetSyntheticModuleExport(isolate, name, value).IsNothing())
                return {};
        }
    } else {
        if (module->SetSyntheticModuleExport(isolate, str(isolate, "defineTool"), prepared.defineTool.Get(isolate))
                .IsNothing() ||
            module->SetSyntheticModuleExport(isolate, str(isolate, "z"), z).IsNothing())
            return {};
    }
    v8::Local<v8::Promise::Resolver> resolver;
    if (!v8::Promise::Resolver::New(context).ToLocal(&resolver))
        return {};
    resolver->Resolve(context, v8::Undefined(isolate)).Check();
    return resolver->GetPromise();
}

} // namespace airlock::jsd

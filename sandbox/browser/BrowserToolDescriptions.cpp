// BrowserSandbox::toolDescriptions: what the model sees of the browser tools.

#include "sandbox/browser/BrowserSandbox.h"

namespace airlock {

namespace {

QJsonObject prop(const char *type, const char *description)
{
    return QJsonObject{{QStringLiteral("type"), QString::fromLatin1(type)},
                       {QStringLiteral("description"), QString::fromUtf8(description)}};
}

QJsonObject choice(QStringList values, const char *description)
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("string")},
                       {QStringLiteral("enum"), QJsonArray::fromStringList(values)},
                       {QStringLiteral("description"), QString::fromUtf8(description)}};
}

QJsonObject integer(int minimum, int maximum, const char *description)
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")},
                       {QStringLiteral("minimum"), minimum},
                       {QStringLiteral("maximum"), maximum},
                       {QStringLiteral("description"), QString::fromUtf8(description)}};
}

// Every tool takes `dialog` (and `promptText`): how a JavaScript dialog the page
// opens during the call is answered. None is left open.
QJsonObject schema(QJsonObject properties, QStringList required)
{
    properties.insert(QStringLiteral("dialog"),
                      choice({QStringLiteral("dismiss"), QStringLiteral("accept")},
                             "How to answer an alert, confirm or prompt the page opens during this call (default "
                             "dismiss). The result lists the dialogs met."));
    properties.insert(QStringLiteral("promptText"), prop("string", "Text to answer a prompt with, when accepting"));
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                       {QStringLiteral("properties"), properties},
                       {QStringLiteral("required"), QJsonArray::fromStringList(required)},
                       {QStringLiteral("additionalProperties"), false}};
}

QJsonObject tool(const char *name, const char *description, QJsonObject inputSchema, bool readOnly, bool destructive,
                 bool openWorld)
{
    return QJsonObject{{QStringLiteral("name"), QString::fromLatin1(name)},
                       {QStringLiteral("description"), QString::fromUtf8(description)},
                       {QStringLiteral("inputSchema"), inputSchema},
                       {QStringLiteral("annotations"), QJsonObject{{QStringLiteral("readOnlyHint"), readOnly},
                                                                   {QStringLiteral("destructiveHint"), destructive},
                                                                   {QStringLiteral("openWorldHint"), openWorld}}}};
}

} // namespace

QJsonArray BrowserSandbox::toolDescriptions()
{
    const QJsonObject selector = prop("string", "CSS selector of the element");
    return QJsonArray{
        tool("browser_navigate",
             "Open a URL in the session's headless browser and wait until it has loaded. Its traffic goes through "
             "the egress gate (plain http:// only for now). Returns the final url, title, HTTP status and how many "
             "requests failed.",
             schema({{QStringLiteral("url"), prop("string", "Absolute URL to open")},
                     {QStringLiteral("waitUntil"),
                      choice({QStringLiteral("load"), QStringLiteral("networkidle")},
                             "load (default): the load event; networkidle: also no request for 500 ms")},
                     {QStringLiteral("timeoutMs"), integer(100, 600000, "Longest wait, default 30000")}},
                    {QStringLiteral("url")}),
             false, false, true),
        tool("browser_screenshot",
             "Capture the page as an image saved into the workspace (screenshots/). The long side is capped "
             "(1568 px by default) so it fits a model's image limits. Returns file, width, height and bytes.",
             schema({{QStringLiteral("mode"),
                      choice({QStringLiteral("viewport"), QStringLiteral("fullPage"), QStringLiteral("selector")},
                             "viewport (default), the full page, or one element")},
                     {QStringLiteral("selector"), prop("string", "CSS selector, with mode selector")},
                     {QStringLiteral("format"),
                      choice({QStringLiteral("png"), QStringLiteral("jpeg")}, "png (default) or jpeg")},
                     {QStringLiteral("quality"), integer(1, 100, "JPEG quality, default 80")},
                     {QStringLiteral("maxLongSide"), integer(16, 8000, "Cap on the image's long side in pixels")}},
                    {}),
             false, false, false),
        tool("browser_click",
             "Click an element found by CSS selector or by its visible text, or a point (x, y in CSS pixels of the "
             "viewport). The element is scrolled into view and clicked with real mouse events. Returns what was "
             "hit and the url afterwards.",
             schema(
                 {{QStringLiteral("selector"), selector},
                  {QStringLiteral("text"), prop("string", "Visible text of the element (exact match preferred)")},
                  {QStringLiteral("x"), prop("number", "Viewport x")},
                  {QStringLiteral("y"), prop("number", "Viewport y")},
                  {QStringLiteral("button"),
                   choice({QStringLiteral("left"), QStringLiteral("middle"), QStringLiteral("right")}, "default left")},
                  {QStringLiteral("clickCount"), integer(1, 3, "2 for a double click")}},
                 {}),
             false, false, true),
        tool("browser_type",
             "Type text into an element (focused by CSS selector, else the focused one), then optionally press a "
             "key such as Enter, Tab or Escape.",
             schema({{QStringLiteral("selector"), selector},
                     {QStringLiteral("text"), prop("string", "Text to type")},
                     {QStringLiteral("key"), prop("string", "Key to press afterwards: Enter, Tab, Escape, Backspace, "
                                                            "Delete, ArrowUp/Down/Left/Right, Home, End, PageUp, "
                                                            "PageDown, Space")},
                     {QStringLiteral("clear"), prop("boolean", "Empty the field first")}},
                    {}),
             false, false, true),
        tool("browser_text",
             "The page's readable text (innerText), or an accessibility snapshot (roles and names, indented), capped "
             "in length.",
             schema({{QStringLiteral("mode"), choice({QStringLiteral("text"), QStringLiteral("accessibility")},
                                                     "text (default) or accessibility")},
                     {QStringLiteral("maxChars"), integer(100, 200000, "Cap, default 20000")}},
                    {}),
             true, false, false),
        tool("browser_console",
             "Console messages, uncaught exceptions and browser log entries since the last read (level, time, "
             "source, text).",
             schema({{QStringLiteral("all"), prop("boolean", "Every message kept, not only the new ones")},
                     {QStringLiteral("level"),
                      choice({QStringLiteral("error"), QStringLiteral("warn"), QStringLiteral("info"),
                              QStringLiteral("log"), QStringLiteral("debug")},
                             "Only this level")}},
                    {}),
             true, false, false),
        tool("browser_network",
             "Requests the page made since the last read (id, method, url, type, status, mimeType, encodedBytes, "
             "failed), or with id the response body of one request.",
             schema({{QStringLiteral("id"), prop("string", "Request id: return its response body")},
                     {QStringLiteral("all"), prop("boolean", "Every request kept, not only the new ones")},
                     {QStringLiteral("failedOnly"), prop("boolean", "Only failed requests and HTTP errors")},
                     {QStringLiteral("limit"), integer(1, 2000, "Most requests to return, default 200")},
                     {QStringLiteral("maxChars"), integer(100, 1000000, "Cap on a body, default 100000")}},
                    {}),
             true, false, false),
        tool("browser_set_viewport",
             "Set the page's viewport: width, height (CSS pixels), device scale factor, mobile.",
             schema({{QStringLiteral("width"), integer(100, 8000, "CSS pixels")},
                     {QStringLiteral("height"), integer(100, 8000, "CSS pixels")},
                     {QStringLiteral("deviceScaleFactor"), prop("number", "Device pixels per CSS pixel (0.5 to 4)")},
                     {QStringLiteral("mobile"), prop("boolean", "Emulate a mobile device")}},
                    {}),
             false, false, false),
        tool("browser_upload", "Put a workspace file into a file input (<input type=file>) of the page.",
             schema({{QStringLiteral("selector"), selector},
                     {QStringLiteral("path"), prop("string", "File path relative to the workspace")}},
                    {QStringLiteral("selector"), QStringLiteral("path")}),
             false, false, true),
    };
}

} // namespace airlock

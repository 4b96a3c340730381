#include "core/mcp/McpTransport.h"

// Out of line so the interface's vtable has one home.
namespace airlock {

McpTransport::~McpTransport() = default;

} // namespace airlock

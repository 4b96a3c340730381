#pragma once

// Writes all of a buffer to a descriptor that may be non-blocking (the channel, a
// file being written): retries on EINTR and waits briefly on EAGAIN.

#include <cstddef>

namespace airlock::agent {

// False on any other error (the peer or the disk is gone).
bool writeAll(int fd, const char *data, std::size_t size);

} // namespace airlock::agent

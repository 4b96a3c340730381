#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock vm exec [--workspace DIR] [--timeout-ms N] [--stdin] [--uri URI] [--verbose]
//  -- CMD ARGS…`: boots a microVM, runs one command in it with its stdout/stderr
// streamed to ours, destroys the VM and exits with the command's own status (124
// when it timed out, like timeout(1)); 1 when the VM failed, 2 on bad usage.
// `airlock vm forward [options] PORT[:HOSTPORT]… -- CMD ARGS…`: the same VM with
// guest ports forwarded to this machine's 127.0.0.1, printed once the VM is up;
// runs CMD (a server), then keeps forwarding until SIGINT/SIGTERM.
class VmCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock

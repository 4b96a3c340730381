#pragma once

// The guest's forward channel: a third virtio-serial port (kForwardPortName) that
// carries connections made on the host's loopback to a port inside the guest
// (microvm/PortForwarder on the host, agent/PortRelay in the guest, a process of
// its own: `airlock-agent --forward`). The guest has no network interface; this is
// how a dev server in the VM is reached from the host. Frames as in Frame.h; every
// stream header has "op" and a stream id "sid" (> 0, chosen by the host, never
// reused while the port is open).
//
// host → guest
//   open {sid, port}             connect to the guest's 127.0.0.1:port (then [::1])
//   data {sid} + payload         bytes from the host's client, within credit
//   end {sid}                    the host's client half-closed its sending side
//   credit {sid, bytes}          the host passed on `bytes` of guest data
//   close {sid}                  the host's client went away: drop the connection
// guest → host
//   reset                        the relay (re)started: streams opened before it
//                                are gone, and answered close when bytes come
//   opened {sid}                 connected; data both ways
//   refused {sid, message}       nothing listens there (or the connect failed): the
//                                stream is over
//   data {sid} + payload, end {sid}, credit {sid, bytes}, close {sid, message}
//   listening {ports: [n…]}      the TCP ports something in the guest listens on
//                                (sorted; the relay's own proxy port left out): sent
//                                at start and whenever the set changes
//
// Flow control as on the egress port (EgressWire.h): at most kForwardWindow bytes
// of data in flight per stream and direction, granted back with credit once the
// receiver has written them to its socket. A stream is over for a side once it has
// sent and received end, or on close/refused. Data or end for a stream a side
// does not have is answered close {sid}; other frames for unknown streams are
// ignored. The host may send data before opened arrives (the relay handles open
// before reading the next frame).

#include <cstddef>

namespace airlock::wire {

inline constexpr const char *kForwardPortName = "org.airlock.forward.0";
inline constexpr std::size_t kForwardWindow = 256 * 1024;
inline constexpr std::size_t kForwardMaxData = 64 * 1024; // payload of one data frame

} // namespace airlock::wire

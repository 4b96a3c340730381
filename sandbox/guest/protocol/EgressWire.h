#pragma once

// The guest's egress channel: a second virtio-serial port (kEgressPortName), apart
// from the agent's, so a large download never delays an exec. It carries the HTTP
// requests and CONNECT tunnels of the guest's proxy (agent/EgressProxy, on the
// guest's 127.0.0.1:3128) to the host (microvm/GuestEgressBridge), which hands each
// to the session's egress gate. Frames as in Frame.h; every header has "op" and a
// stream id "sid" (> 0, chosen by the guest, never reused while the port is open).
//
// guest → host
//   reset                                   the proxy (re)started: drop every stream
//   request {sid, method, url, headers: [[name, value]…], body: bool}
//                                           url absolute (http://…); with body, data
//                                           frames follow, then end
//   connect {sid, host, port}               a CONNECT tunnel
//   data {sid} + payload                    request body / tunnel bytes, within credit
//   end {sid}                               no more data (body done, client half-closed)
//   credit {sid, bytes}                     the guest passed on `bytes` of host data
//   close {sid}                             the client went away: stop the stream
// host → guest
//   response {sid, status, reason, headers} the answer's head; data frames, then end
//   connected {sid}                         the tunnel is open; data both ways
//   refused {sid, status, message}          refused (403) or failed (502) before any
//                                           answer; the stream is over
//   data {sid} + payload, end {sid}, credit {sid, bytes}
//   abort {sid, message}                    failed after the head: the client's
//                                           connection is cut (it sees a truncated body)
//
// Flow control: each side may have at most kEgressWindow bytes of data payload in
// flight per stream and direction, counted from the stream's start; the receiver
// grants more with credit once it has passed bytes on (to the client socket, the
// gate, the tunnel), so neither side buffers more than a window per stream. A
// stream is over for one side once it has sent and received end (tunnels), or on
// refused/abort/close; frames for unknown streams are ignored.

#include <cstddef>

namespace airlock::wire {

inline constexpr const char *kEgressPortName = "org.airlock.egress.0";
inline constexpr std::size_t kEgressWindow = 256 * 1024;
inline constexpr std::size_t kEgressMaxData = 64 * 1024; // payload of one data frame
inline constexpr int kEgressProxyPort = 3128;            // on the guest's 127.0.0.1

} // namespace airlock::wire

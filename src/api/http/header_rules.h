// What a request's header section must satisfy before it is routed. A request that breaks one of
// these rules is answered 400 and its connection closed: when the framing itself is in doubt
// (RFC 9112 section 6.1), whatever follows on the connection could be a smuggled request.
#pragma once

#include <optional>
#include <string>

#include <boost/beast/http/fields.hpp>

namespace coffer::api {

// Why the headers are refused, as a message for the client; nothing when they are fine.
// - Transfer-Encoding (all its lines taken together) must end in `chunked`, and a request may
//   not carry it together with Content-Length.
// - Headers Coffer reads as one value (Authorization, Host, Content-Type, Origin and the MCP
//   session headers) may appear once: two Authorization headers are refused, not "last one wins".
std::optional<std::string> HeaderProblem(const boost::beast::http::fields& headers);

}  // namespace coffer::api

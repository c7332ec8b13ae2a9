// RequestSlot: the request-scoped state of an HTTP/1 connection (its request parser and its
// RequestContext, with the heap storage they keep between requests: header bytes, request id,
// scratch fields, WAF scratch). A connection takes one from its worker's free list when the first
// byte of a request arrives and gives it back once it is idle again (response sent, no buffered
// input), so an idle keep-alive connection holds none of it, and a warm worker allocates nothing
// per request for it. Loop thread only.
#pragma once

#include <cstddef>

#include "request_context.h"
#include "shipgate/http/request_parser.h"
#include "worker.h"

namespace shipgate::server {

struct RequestSlot final : public Deferred {
  RequestSlot(Worker& worker, size_t max_header_bytes, size_t max_body_bytes)
      : parser(max_header_bytes, max_body_bytes), ctx(worker) {}

  http::RequestParser parser;
  RequestContext ctx;
};

}  // namespace shipgate::server

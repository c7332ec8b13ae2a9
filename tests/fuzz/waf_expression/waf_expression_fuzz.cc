// libFuzzer entry point for the rules engine: parse + compile + evaluate arbitrary expressions.
// Input: an expression; if it holds a NUL byte, the bytes after it are a raw HTTP request to
// evaluate against (fuzzing parseRawHttpRequest too), else two fixed requests are used.
// Besides memory errors it traps on broken invariants: the canonical form must re-parse to an
// equal tree, and the Cloudflare rewrite must parse.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/waf/filter.h"
#include "shipgate/waf/parser.h"
#include "shipgate/waf/request.h"

using namespace shipgate::waf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view expr = input.substr(0, input.find('\0'));
  static const Scheme* scheme = new Scheme(Scheme::http());  // leaked on purpose: fuzz harness
  ListRegistry lists;
  lists["office"] = makeNamedList(Kind::kIp, {"10.0.0.0/8", "2001:db8::/32"}).value();
  lists["words"] = makeNamedList(Kind::kBytes, {"GET", "admin"}).value();
  lists["ports"] = makeNamedList(Kind::kInt, {"80", "8000..8009"}).value();

  ParseOutput parsed = parseExpression(expr, *scheme);
  if (parsed.ok()) {
    std::string printed = printExpression(*parsed.root);
    ParseOutput again = parseExpression(printed, *scheme);
    if (!again.ok() || dumpAst(*again.root) != dumpAst(*parsed.root)) abort();
    std::string cf = printCloudflare(*parsed.root);
    if (!parseExpression(cf, *scheme).ok()) abort();
  } else {
    (void)parsed.error->render(expr, "error");
  }

  std::unique_ptr<OwnedRequest> fuzzed;
  if (expr.size() < input.size()) {
    auto r = parseRawHttpRequest(input.substr(expr.size() + 1));
    if (r.isOk()) fuzzed = std::move(r.value());
  }
  auto a = parseRawHttpRequest(
      "POST /a/../b%3bc//d?x=1&x=%2541&y=UNION%20SELECT HTTP/1.1\r\nHost: Example.com\r\n"
      "Cookie: a=1; b=2\r\nX-Forwarded-For: 10.1.1.1\r\nContent-Length: 4\r\n\r\nbody");
  auto b = parseRawHttpRequest("GET / HTTP/1.1\r\n\r\n");
  a.value()->mutableRequest().client_ip = IpAddr::parse("10.2.3.4");
  a.value()->mutableRequest().bot_score = 12;
  b.value()->mutableRequest().client_ip = IpAddr::parse("2001:db8::7");

  for (int variant = 0; variant < 2; ++variant) {
    CompileOptions opts;
    opts.lists = &lists;
    if (variant == 1) {
      opts.normalize = {Normalizer::kUrlDecode, Normalizer::kStripComments,
                        Normalizer::kCompressWhitespace, Normalizer::kLower};
    }
    CompileOutput out = compileExpression(expr, *scheme, opts);
    if (!out.ok()) continue;
    EvalContext ctx;
    for (const OwnedRequest* r : {a.value().get(), b.value().get(), fuzzed.get()}) {
      if (r == nullptr) continue;
      ctx.reset(r->request());
      (void)out.filter->matches(ctx);
    }
  }
  return 0;
}

// Fuzzes the flags area's parser and evaluator of operator and client input. The input is a
// flagd document, optionally followed by a line "\n---\n" and an OFREP request body.
// Invariants: a rejected document has at least one error, each with a message; an accepted
// document's flags re-parse from their stored form to the same flags; every flag of it evaluates
// (for the given context) to a resolution with a reason, and a value only from its variants; the
// OFREP answer for each flag is JSON with a known status.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/flags/flag_definitions.h"
#include "shipgate/flags/ofrep.h"

namespace {

using namespace shipgate::flags;
using json = nlohmann::json;

void check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "flags_eval_fuzz invariant violated: %s\n", what);
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view doc = in, body = "{\"context\": {\"targetingKey\": \"u\"}}";
  if (auto sep = in.find("\n---\n"); sep != std::string_view::npos) {
    doc = in.substr(0, sep);
    body = in.substr(sep + 5);
  }
  ParsedDefinitions p = parseDefinitions(doc);
  if (!p.ok()) {
    for (const auto& e : p.errors) check(!e.message.empty(), "an error has a message");
    return 0;
  }
  FlagsSnapshot snap;
  json context = json::parse(body.begin(), body.end(), nullptr, false);
  if (context.is_object() && context.contains("context")) context = context["context"];
  for (const Flag& f : p.flags) {
    ParsedDefinitions again = definitionsFromJson(f.toJson(), f.key);
    check(again.ok() && again.flags.size() == 1 && again.flags[0] == f, "stored form re-parses");
    Resolution r = evaluateFlag(f, context.is_object() ? context : json::object(), 1700000000);
    check(!r.reason.empty(), "a resolution has a reason");
    if (r.value) check(f.variants.contains(r.variant) && f.variants[r.variant] == *r.value,
                       "a value comes from the variants");
    snap.environments["production"].flags.emplace(f.key, f);
  }
  FlagsConfig cfg;
  for (const Flag& f : p.flags) {
    std::string path = "/ofrep/v1/evaluate/flags/" + f.key;
    OfrepRequest req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    OfrepAnswer a = answerOfrep(req, cfg, snap, 1700000000);
    check(a.status == 200 || a.status == 400 || a.status == 404 || a.status == 413,
          "a known status");
    check(!json::parse(a.body, nullptr, false).is_discarded(), "the answer is JSON");
  }
  OfrepRequest bulk;
  bulk.method = "POST";
  bulk.path = "/ofrep/v1/evaluate/flags";
  bulk.body = body;
  OfrepAnswer a = answerOfrep(bulk, cfg, snap, 1700000000);
  check(a.status == 200 || a.status == 400 || a.status == 413, "a known bulk status");
  return 0;
}

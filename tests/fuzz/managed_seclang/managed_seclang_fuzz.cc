// libFuzzer entry point for the SecRule reader: parseSecLang on arbitrary text, and the same
// bytes through parseTargets, parseActions, parseIdRanges and parseDataFile (the entry points
// shipgate's own config feeds). Besides memory errors it traps on broken contracts: an error
// names "fuzz.conf:LINE: " with LINE inside the text, a parsed rule (not chained) has an id, a
// chain never ends in a rule that still says `chain`, id ranges are ordered, and the printed
// form of what was read reads back to the same model (printSecLang is a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/managed/seclang.h"

using namespace shipgate::managed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : input) lines += c == '\n';

  auto parsed = parseSecLang(input, "fuzz.conf");
  if (parsed.isOk()) {
    for (const Directive& d : parsed.value()) {
      if (d.where.line < 1 || static_cast<size_t>(d.where.line) > lines) abort();
      if ((d.kind == DirectiveKind::kRule || d.kind == DirectiveKind::kAction) &&
          (!d.rule || !d.rule->actions.id)) {
        abort();
      }
      for (const Rule* r = d.rule.get(); r != nullptr; r = r->chained.get()) {
        if (r->actions.chain != (r->chained != nullptr) && d.kind != DirectiveKind::kDefaultAction) {
          abort();
        }
      }
      for (const IdRange& ir : d.ids) {
        if (ir.first > ir.last) abort();
      }
    }
    // The printed form reads back to a model that prints the same.
    std::string printed = printSecLang(parsed.value());
    auto again = parseSecLang(printed, "printed.conf");
    if (!again.isOk() || again.value().size() != parsed.value().size()) abort();
    if (printSecLang(again.value()) != printed) abort();
  } else {
    const std::string& m = parsed.status().message();
    if (m.rfind("fuzz.conf:", 0) != 0) abort();
    size_t line = std::strtoul(m.c_str() + 10, nullptr, 10);
    if (line < 1 || line > lines) abort();
  }

  auto targets = parseTargets(input);
  if (targets.isOk()) {
    auto back = parseTargets(printTargets(targets.value()));
    if (!back.isOk() || printTargets(back.value()) != printTargets(targets.value())) abort();
  }
  auto actions = parseActions(input);
  if (actions.isOk()) {
    auto back = parseActions(printActions(actions.value()));
    if (!back.isOk() || printActions(back.value()) != printActions(actions.value())) abort();
  }
  auto ids = parseIdRanges(input);
  if (ids.isOk()) {
    for (const IdRange& ir : ids.value()) {
      if (ir.first > ir.last || !ir.contains(ir.first)) abort();
    }
  }
  for (const std::string& p : parseDataFile(input)) {
    if (p.empty() || p[0] == '#' || p.find('\n') != std::string::npos) abort();
  }
  return 0;
}

// Named lists for `in $name`, built from config text.
#include "lexer.h"
#include "shipgate/waf/filter.h"

namespace shipgate::waf {

Result<NamedList> makeNamedList(Kind kind, const std::vector<std::string>& items) {
  NamedList list;
  if (kind == Kind::kBytes) {
    list.type = Type::bytes();
    for (const std::string& item : items) {
      Literal l;
      l.bytes = item;
      list.items.push_back(std::move(l));
    }
    return list;
  }
  if (kind != Kind::kInt && kind != Kind::kIp) {
    return Status::invalidArgument("a list holds Bytes, Int or Ip items");
  }
  list.type = kind == Kind::kInt ? Type::integer() : Type::ip();
  for (const std::string& item : items) {
    Lexer lex(item);
    auto lit = kind == Kind::kInt ? lex.readIntOrRange() : lex.readIpLiteral();
    if (!lit || !lex.atEnd()) {
      std::string why = lit ? "unexpected text after the item" : lex.error().message;
      std::string message = "bad list item \"" + item;
      message += "\": ";
      message += why;
      return Status::invalidArgument(std::move(message));
    }
    list.items.push_back(std::move(*lit));
  }
  return list;
}

}  // namespace shipgate::waf

// @detectXSS: an HTML tokenizer (the states of the HTML5 tokenizer that matter for tags and
// attributes) run from each context an injection can start in: text (data state), and inside an
// attribute value opened by '"', by '\'', or unquoted. It flags:
//   - a tag opening ('<' + letter, namespace prefix ignored) of script, iframe, frame, frameset,
//     object, embed, applet, base, link, style, svg, math, form, meta, import, isindex, xml, xss,
//     vmlframe, and the closing tag of script;
//   - an event-handler attribute (onerror=, onload=, ...; our list of handler names) on any tag,
//     even when the tag is never closed;
//   - javascript:, vbscript:, livescript:, mocha:, data:text/html (and other scriptable data:
//   types)
//     in a URL-valued attribute (href, src, action, formaction, data, xlink:href ...), after
//     removing control characters, whitespace and character references inside the scheme
//     ("java&#x09;script:", "jav\tascript:"), and a whole input that starts with such a URL;
//   - style attributes with expression(, url(javascript:, behavior:, -moz-binding;
//   - srcdoc attributes with markup, and IE conditional comments ("<!--[if").
// Comments are transparent ("<!--<script>" is flagged through the script tag).
//
// Linear: one left-to-right scan per context, constant work per byte, no recursion.
#include <cstdint>
#include <string>
#include <string_view>

#include "detect_xss_tables.h"
#include "shipgate/common/strings.h"
#include "shipgate/managed/detect.h"

namespace shipgate::managed {
namespace {

using xss::kDangerousTags;
using xss::kEvents;
using xss::kUrlAttributes;

enum class State {
  kData,
  kTagName,
  kBeforeAttrName,
  kAttrName,
  kAfterAttrName,
  kBeforeAttrValue,
  kAttrValueDq,
  kAttrValueSq,
  kAttrValueUnquoted,
  kCloseTagName,
};

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

template <size_t N>
bool inList(const std::string_view (&list)[N], std::string_view name) {
  for (std::string_view s : list) {
    if (s == name) return true;
  }
  return false;
}

bool isEventHandler(std::string_view name) {
  if (name.size() < 4 || name[0] != 'o' || name[1] != 'n') return false;
  return inList(kEvents, name.substr(2));
}

// Reads one character reference at value[i] ('&'); returns its code point (0 when it is not one we
// decode) and advances i past it.
uint32_t readReference(std::string_view v, size_t& i) {
  size_t j = i + 1;
  if (j < v.size() && v[j] == '#') {
    ++j;
    bool hex = j < v.size() && (v[j] == 'x' || v[j] == 'X');
    if (hex) ++j;
    uint32_t cp = 0;
    size_t digits = 0;
    while (j < v.size() && digits < 8) {
      char c = asciiLower(v[j]);
      int d = (c >= '0' && c <= '9') ? c - '0' : (hex && c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (d < 0) break;
      cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
      ++j;
      ++digits;
    }
    if (digits == 0) return 0;
    if (j < v.size() && v[j] == ';') ++j;
    i = j;
    return cp;
  }
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"tab;", '\t'}, {"newline;", '\n'}, {"colon;", ':'}, {"lpar;", '('},  {"rpar;", ')'},
      {"sol;", '/'},  {"nbsp;", ' '},     {"quot;", '"'},  {"apos;", '\''},
  };
  for (const auto& [name, ch] : kNamed) {
    if (startsWithIgnoreCase(v.substr(j), name)) {
      i = j + name.size();
      return static_cast<unsigned char>(ch);
    }
  }
  return 0;
}

// The first `limit` characters of `v` as a browser reads a URL scheme: references decoded,
// control characters and whitespace removed, lowercased.
std::string normalizedPrefix(std::string_view v, size_t limit) {
  std::string out;
  size_t i = 0;
  while (i < v.size() && out.size() < limit) {
    uint32_t c = static_cast<unsigned char>(v[i]);
    if (c == '&') {
      size_t before = i;
      uint32_t cp = readReference(v, i);
      if (i != before) {
        c = cp;
      } else {
        ++i;
      }
    } else {
      ++i;
    }
    if (c <= 0x20 || c == 0x7f || c == 0xa0) continue;
    if (c > 0x7f) {
      out.push_back('?');
      continue;
    }
    out.push_back(asciiLower(static_cast<char>(c)));
  }
  return out;
}

// `whole_input`: the value is not known to sit in a URL attribute, so prose that merely starts
// with "JavaScript: ..." must not count; the script part must look like code.
bool isScriptUrl(std::string_view value, bool whole_input = false) {
  std::string p = normalizedPrefix(value, 24);
  for (std::string_view scheme : {"javascript:", "vbscript:", "livescript:", "mocha:"}) {
    if (p.rfind(scheme, 0) == 0) {
      if (!whole_input) return true;
      return value.find_first_of("(`=") != std::string_view::npos;
    }
  }
  if (whole_input) return false;
  if (p.rfind("data:", 0) == 0) {
    std::string_view rest = std::string_view(p).substr(5);
    for (std::string_view type : {"text/html", "text/xml", "image/svg", "application/x",
                                  "text/javascript", "application/javascript", ","}) {
      if (rest.rfind(type, 0) == 0) return true;
    }
  }
  return false;
}

bool isDangerousStyle(std::string_view value) {
  std::string p = normalizedPrefix(value, 4096);
  for (std::string_view needle : {"expression(", "url(javascript:", "url(vbscript:", "behavior:",
                                  "-moz-binding", "javascript:"}) {
    if (p.find(needle) != std::string::npos) return true;
  }
  return false;
}

class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) {}

  bool run(State start) {
    state_ = start;
    if (start == State::kAttrValueDq || start == State::kAttrValueSq ||
        start == State::kAttrValueUnquoted) {
      attr_name_.clear();  // the attribute the input lands in is unknown
      value_begin_ = 0;
    }
    for (size_t i = 0; i < in_.size(); ++i) {
      if (step(i)) return true;
    }
    // End of input: a pending attribute or value is judged as it stands.
    if (state_ == State::kAttrValueDq || state_ == State::kAttrValueSq ||
        state_ == State::kAttrValueUnquoted) {
      return valueEnds(in_.size());
    }
    return false;
  }

 private:
  bool step(size_t i) {
    char c = in_[i];
    switch (state_) {
      case State::kData:
        if (c == '<' && i + 1 < in_.size()) {
          char n = in_[i + 1];
          if (isAlpha(n)) {
            state_ = State::kTagName;
            tag_.clear();
          } else if (n == '/' && i + 2 < in_.size() && isAlpha(in_[i + 2])) {
            state_ = State::kCloseTagName;
            tag_.clear();
            skip_ = 1;
          } else if (n == '!' && in_.substr(i + 2, 2) == "--") {
            // Comments are transparent; only IE's conditional comments are flagged.
            size_t k = i + 4;
            while (k < in_.size() && isHtmlSpace(in_[k])) ++k;
            if (in_.substr(k, 3) == "[if" || in_.substr(k, 3) == "[IF") return true;
          }
        }
        return false;
      case State::kCloseTagName:
        if (skip_ > 0) {
          --skip_;
          return false;
        }
        if (isHtmlSpace(c) || c == '/' || c == '>') {
          state_ = State::kData;
          return stripNamespace(tag_) == "script";
        }
        if (tag_.size() < 32) tag_.push_back(asciiLower(c));
        return false;
      case State::kTagName:
        if (isHtmlSpace(c) || c == '/' || c == '>') {
          if (inList(kDangerousTags, stripNamespace(tag_))) return true;
          state_ = c == '>' ? State::kData : State::kBeforeAttrName;
          return false;
        }
        if (tag_.size() < 32) tag_.push_back(asciiLower(c));
        if (i + 1 == in_.size()) return inList(kDangerousTags, stripNamespace(tag_));
        return false;
      case State::kBeforeAttrName:
        if (isHtmlSpace(c) || c == '/') return false;
        if (c == '>') {
          state_ = State::kData;
          return false;
        }
        attr_name_.clear();
        state_ = State::kAttrName;
        [[fallthrough]];
      case State::kAttrName:
        if (isHtmlSpace(c) || c == '/' || c == '>') {
          state_ = c == '>' ? State::kData : State::kAfterAttrName;
          return false;
        }
        if (c == '=') {
          state_ = State::kBeforeAttrValue;
          return isEventHandler(attr_name_);
        }
        if (attr_name_.size() < 64) attr_name_.push_back(asciiLower(c));
        return false;
      case State::kAfterAttrName:
        if (isHtmlSpace(c)) return false;
        if (c == '=') {
          state_ = State::kBeforeAttrValue;
          return isEventHandler(attr_name_);
        }
        if (c == '>') {
          state_ = State::kData;
          return false;
        }
        if (c == '/') {
          state_ = State::kBeforeAttrName;
          return false;
        }
        attr_name_.clear();
        attr_name_.push_back(asciiLower(c));
        state_ = State::kAttrName;
        return false;
      case State::kBeforeAttrValue:
        if (isHtmlSpace(c)) return false;
        if (c == '"') {
          state_ = State::kAttrValueDq;
          value_begin_ = i + 1;
        } else if (c == '\'') {
          state_ = State::kAttrValueSq;
          value_begin_ = i + 1;
        } else if (c == '>') {
          state_ = State::kData;
        } else {
          state_ = State::kAttrValueUnquoted;
          value_begin_ = i;
        }
        return false;
      case State::kAttrValueDq:
      case State::kAttrValueSq: {
        char q = state_ == State::kAttrValueDq ? '"' : '\'';
        if (c == q) {
          if (valueEnds(i)) return true;
          state_ = State::kBeforeAttrName;
        }
        return false;
      }
      case State::kAttrValueUnquoted:
        if (isHtmlSpace(c) || c == '>') {
          if (valueEnds(i)) return true;
          state_ = c == '>' ? State::kData : State::kBeforeAttrName;
        }
        return false;
    }
    return false;
  }

  // The attribute value [value_begin_, end) is complete: judge it by its attribute's name.
  bool valueEnds(size_t end) {
    std::string_view value = in_.substr(value_begin_, end - value_begin_);
    std::string_view name = stripNamespace(attr_name_);
    if (attr_name_ == "style") return isDangerousStyle(value);
    if (attr_name_ == "srcdoc") return value.find('<') != std::string_view::npos;
    if (inList(kUrlAttributes, attr_name_) || inList(kUrlAttributes, name)) {
      return isScriptUrl(value);
    }
    return false;
  }

  static std::string_view stripNamespace(std::string_view name) {
    // "x:script" -> "script"; "xlink:href" is kept whole by callers that need it.
    size_t colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
  }

  std::string_view in_;
  State state_ = State::kData;
  std::string tag_;
  std::string attr_name_;
  size_t value_begin_ = 0;
  int skip_ = 0;
};

}  // namespace

bool detectXss(std::string_view input) {
  if (input.empty()) return false;
  // One memchr per byte of interest (find_first_of calls memchr once per input byte).
  auto has = [input](char c) { return input.find(c) != std::string_view::npos; };
  // A whole value that is a script URL lands in whatever href/src it is written to. Its scheme
  // ends in ':', written as is or as a character reference, which starts with '&'.
  if ((has(':') || has('&')) && isScriptUrl(input, /*whole_input=*/true)) return true;
  // Every other finding needs a tag opening or an attribute assignment.
  const bool tag = has('<');
  if (!tag && !has('=')) return false;
  if (tag && Scanner(input).run(State::kData)) return true;
  if (input.find('"') != std::string_view::npos && Scanner(input).run(State::kAttrValueDq)) {
    return true;
  }
  if (input.find('\'') != std::string_view::npos && Scanner(input).run(State::kAttrValueSq)) {
    return true;
  }
  return Scanner(input).run(State::kAttrValueUnquoted);
}

}  // namespace shipgate::managed

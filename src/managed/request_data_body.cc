// RequestData's body processors: multipart/form-data (our own RFC 7578 reader), JSON
// (nlohmann's SAX parser, names as libmodsecurity 3.0.9 gives them) and XML (pugixml).
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <cctype>
#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "request_data_impl.h"
#include "shipgate/common/strings.h"

namespace shipgate::managed {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// One line of `s` from `pos`: [pos, end of line without CR/LF); `next` is the start of the
// following line. False when no line end is left (the line runs to the end of `s`).
bool readLine(std::string_view s, size_t pos, std::string_view* line, size_t* next, bool* lf_only) {
  size_t nl = s.find('\n', pos);
  if (nl == std::string_view::npos) return false;
  size_t end = nl;
  *lf_only = !(end > pos && s[end - 1] == '\r');
  if (!*lf_only) --end;
  *line = s.substr(pos, end - pos);
  *next = nl + 1;
  return true;
}

bool isTokenChar(unsigned char c) {
  if (c <= 32 || c >= 127) return false;
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
    case '"': case '/': case '[': case ']': case '?': case '=':
      return false;
    default:
      return true;
  }
}

struct Disposition {
  bool has_name = false;
  bool has_filename = false;
  std::string name;
  std::string filename;
  bool invalid_quoting = false;  // single quotes, or a quote after a token value
  const char* error = nullptr;   // the header cannot be read (as libmodsecurity 3 rejects it)
};

// Content-Disposition's value as libmodsecurity 3 reads it: "form-data" then ';'-separated
// name=value parameters; values are a token or a quoted string ('"' or '\'', backslash escaping
// the quote or a backslash); only name, filename and filename* (charset'language'pct-encoded,
// checked, not used as the file name) are allowed, each once.
Disposition parseDisposition(std::string_view v) {
  Disposition d;
  while (!v.empty() && isBlank(v.front())) v.remove_prefix(1);
  if (!startsWithIgnoreCase(v, "form-data")) {
    d.error = "Content-Disposition is not form-data";
    return d;
  }
  size_t p = 9;
  while (p < v.size() && isBlank(v[p])) ++p;
  if (p == v.size()) return d;
  if (v[p] != ';') {
    d.error = "invalid Content-Disposition";
    return d;
  }
  ++p;
  bool has_star = false;
  while (p < v.size()) {
    while (p < v.size() && isBlank(v[p])) ++p;
    if (p == v.size()) {
      d.error = "invalid Content-Disposition parameter";
      return d;
    }
    size_t start = p;
    while (p < v.size() && v[p] != '=' && !isBlank(v[p])) ++p;
    std::string_view pname = v.substr(start, p - start);
    while (p < v.size() && isBlank(v[p])) ++p;
    if (p == v.size() || v[p] != '=') {
      d.error = "invalid Content-Disposition parameter";
      return d;
    }
    ++p;
    while (p < v.size() && isBlank(v[p])) ++p;
    if (p == v.size()) {
      d.error = "invalid Content-Disposition parameter";
      return d;
    }
    std::string value;
    if (pname == "filename*") {
      size_t cs = p;
      while (p < v.size() && (std::isalnum(static_cast<unsigned char>(v[p])) ||
                              std::string_view("!#$%&+-^_`{}~").find(v[p]) != std::string_view::npos)) {
        ++p;
      }
      if (p == v.size() || v[p] != '\'' || p == cs) {
        d.error = "invalid Content-Disposition filename*";
        return d;
      }
      ++p;
      while (p < v.size() && v[p] != '\'') ++p;
      if (p == v.size()) {
        d.error = "invalid Content-Disposition filename*";
        return d;
      }
      ++p;
      size_t vs = p;
      while (p < v.size() && v[p] != ';') {
        if (v[p] == '%') {
          if (p + 2 >= v.size() || !std::isxdigit(static_cast<unsigned char>(v[p + 1])) ||
              !std::isxdigit(static_cast<unsigned char>(v[p + 2]))) {
            d.error = "invalid Content-Disposition filename*";
            return d;
          }
          p += 3;
        } else if (std::isalnum(static_cast<unsigned char>(v[p])) ||
                   std::string_view("!#$&+-.^_`|~").find(v[p]) != std::string_view::npos) {
          ++p;
        } else {
          d.error = "invalid Content-Disposition filename*";
          return d;
        }
      }
      value.assign(v.substr(vs, p - vs));
    } else if (v[p] == '"' || v[p] == '\'') {
      char quote = v[p];
      if (quote == '\'') d.invalid_quoting = true;
      ++p;
      if (p == v.size()) {
        d.error = "invalid Content-Disposition quoting";
        return d;
      }
      while (p < v.size()) {
        if (v[p] == '\\') {
          if (p + 1 == v.size()) {
            d.error = "invalid Content-Disposition escaping";
            return d;
          }
          if (v[p + 1] == quote || v[p + 1] == '\\') ++p;
        } else if (v[p] == quote) {
          break;
        }
        value.push_back(v[p++]);
      }
      if (p == v.size()) {
        d.error = "unterminated quote in Content-Disposition";
        return d;
      }
      ++p;  // the closing quote
    } else {
      size_t vs = p;
      while (p < v.size() && isTokenChar(static_cast<unsigned char>(v[p]))) ++p;
      value.assign(v.substr(vs, p - vs));
    }
    if (pname == "name") {
      if (d.has_name) {
        d.error = "duplicate Content-Disposition name";
        return d;
      }
      d.has_name = true;
      d.name = std::move(value);
    } else if (pname == "filename") {
      if (d.has_filename) {
        d.error = "duplicate Content-Disposition filename";
        return d;
      }
      d.has_filename = true;
      d.filename = std::move(value);
    } else if (pname == "filename*") {
      if (has_star) {
        d.error = "duplicate Content-Disposition filename*";
        return d;
      }
      has_star = true;
    } else {
      d.error = "unknown Content-Disposition parameter";
      return d;
    }
    while (p < v.size() && isBlank(v[p])) ++p;
    if (p < v.size()) {
      if (v[p] != ';') {
        if (v[p - 1] == '\'' || v[p - 1] == '"') d.invalid_quoting = true;
        d.error = "invalid Content-Disposition parameter end";
        return d;
      }
      ++p;
    }
  }
  return d;
}

// Finds the next delimiter line "--boundary" at or after `from` that starts a line (or the
// body, when `from` is 0 and `at_start`) and is followed by "--", a line end, blanks or the
// end of the body. Returns the position of its first '-' and in `line_start` where the
// content before it ends (before the CRLF/LF that belongs to the delimiter). Candidates that
// start a line but continue with other characters set `unmatched`.
size_t findDelimiter(std::string_view body, std::string_view delim, size_t from, bool at_start,
                     size_t* content_end, bool* unmatched) {
  size_t pos = from;
  while (true) {
    size_t i = body.find(delim, pos);
    if (i == std::string_view::npos) return i;
    pos = i + 1;
    bool line_start = (i == 0 && at_start) || (i > from && body[i - 1] == '\n') ||
                      (i == from && at_start);
    if (!line_start) continue;
    size_t after = i + delim.size();
    bool ok = after >= body.size() || body[after] == '\r' || body[after] == '\n' ||
              isBlank(body[after]) ||
              (body[after] == '-' && (after + 1 >= body.size() || body[after + 1] == '-'));
    if (!ok) {
      *unmatched = true;
      continue;
    }
    size_t end = i;
    if (end > from && body[end - 1] == '\n') {
      --end;
      if (end > from && body[end - 1] == '\r') --end;
    }
    *content_end = end;
    return i;
  }
}

}  // namespace

void RequestDataBuilder::parseMultipart(std::string_view content_type, std::string_view body,
                                        bool complete) {
  bool strict = false;
  bool unmatched = false;
  bool saw_second_delimiter = false;
  uint64_t files_size = 0;
  auto finish = [&] {
    setScalar(Var::kMultipartStrictError, (strict || body_error) ? "1" : "0");
    // libmodsecurity 3 says "2" once a delimiter follows a part (its "permissive" value, which
    // modsecurity.conf-recommended's "@eq 1" lets pass) and "1" for a line that looks like a
    // delimiter but is not; unlike libmodsecurity a later good delimiter does not turn 1 into 2.
    setScalar(Var::kMultipartUnmatchedBoundary,
              unmatched ? "1" : (saw_second_delimiter ? "2" : "0"));
    std::string total = std::to_string(files_size);
    setScalar(Var::kFilesCombinedSize, total);
  };
  auto fail = [&](std::string_view what) {
    std::string msg = "Multipart parsing error: ";
    msg.append(what);
    bodyError(msg);
    strict = true;
  };

  std::string boundary;
  if (!contentTypeParam(content_type, "boundary", boundary) || boundary.empty()) {
    fail("no boundary in Content-Type");
    finish();
    return;
  }
  if (boundary.size() > 70) strict = true;  // RFC 2046: 1 to 70 characters
  {
    // libmodsecurity's strict flags on the parameter: a quoted boundary, whitespace around
    // '=' or inside the value.
    const std::string lower = asciiLowerCopy(content_type);
    size_t at = lower.find("boundary");
    if (at != std::string::npos) {
      std::string_view p = std::string_view(content_type).substr(at + 8);
      size_t eq = p.find('=');
      if (eq != 0 && eq != std::string_view::npos) strict = true;  // "boundary =x"
      if (eq != std::string_view::npos && eq + 1 < p.size()) {
        char first = p[eq + 1];
        if (first == '"' || isBlank(first)) strict = true;
      }
    }
    for (char c : boundary) {
      if (isBlank(c)) strict = true;
    }
  }
  std::string delim = "--" + boundary;

  size_t ignored = 0;
  size_t d = findDelimiter(body, delim, 0, true, &ignored, &unmatched);
  if (d == std::string_view::npos) {
    if (complete && !body.empty()) fail("no boundary found in the body");
    finish();
    return;
  }
  if (d > 0) strict = true;  // data before the first boundary

  size_t parts = 0;
  while (true) {
    size_t after = d + delim.size();
    if (body.substr(after, 2) == "--") {  // the closing delimiter
      std::string_view epilogue = trimAsciiSpace(body.substr(after + 2));
      if (!epilogue.empty()) strict = true;
      break;
    }
    // Transport padding, then the line end.
    while (after < body.size() && isBlank(body[after])) ++after;
    std::string_view line;
    size_t pos = 0;
    bool lf_only = false;
    if (!readLine(body, after, &line, &pos, &lf_only)) {
      if (complete) fail("final boundary missing");
      break;
    }
    if (lf_only) strict = true;
    if (!line.empty()) {
      fail("characters after the boundary");
      break;
    }
    if (++parts > RequestData::kMaxMultipartParts) {
      fail("more than 100 parts: the rest are not inspected");
      break;
    }

    // Part headers up to the empty line; folded lines continue the previous header.
    std::vector<std::string> header_lines;  // unfolded, without line ends
    std::vector<std::string> raw_lines;     // as received, line ends kept (as libmodsecurity)
    bool headers_done = false;
    bool header_error = false;
    while (true) {
      size_t next = 0;
      if (!readLine(body, pos, &line, &next, &lf_only)) break;
      if (lf_only) strict = true;
      std::string_view raw = body.substr(pos, next - pos);
      pos = next;
      if (line.empty()) {
        headers_done = true;
        break;
      }
      if (isBlank(line.front()) && !header_lines.empty()) {
        header_lines.back().push_back(' ');
        header_lines.back().append(trimAsciiSpace(line));
        raw_lines.back().append(raw);
        continue;
      }
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        header_error = true;
        break;
      }
      header_lines.emplace_back(line);
      raw_lines.emplace_back(raw);
    }
    if (header_error) {
      fail("invalid part header");
      break;
    }
    if (!headers_done) {
      if (complete) fail("part headers without an end");
      break;
    }
    Disposition disp;
    bool has_disposition = false;
    for (const std::string& h : header_lines) {
      size_t colon = h.find(':');
      if (equalsIgnoreCase(trimAsciiSpace(std::string_view(h).substr(0, colon)),
                           "content-disposition")) {
        if (has_disposition) strict = true;
        has_disposition = true;
        disp = parseDisposition(std::string_view(h).substr(colon + 1));
      }
    }
    if (!has_disposition) {
      fail("part without Content-Disposition");
      break;
    }
    if (disp.error != nullptr) {
      fail(disp.error);
      break;
    }
    if (!disp.has_name || disp.name.empty()) {
      fail("part without a name");
      break;
    }
    if (disp.invalid_quoting) strict = true;

    size_t content_end = 0;
    size_t next_d = findDelimiter(body, delim, pos, false, &content_end, &unmatched);
    std::string_view content;
    if (next_d == std::string_view::npos) {
      content = body.substr(pos);
    } else {
      content = body.substr(pos, content_end - pos);
    }
    if (content.find(delim) != std::string_view::npos) unmatched = true;
    if (next_d != std::string_view::npos) {
      // libmodsecurity only counts a later delimiter whose line is ended (a closing delimiter
      // at the very end of the body is not).
      std::string_view tail = body.substr(next_d + delim.size());
      if (tail.starts_with("--")) tail.remove_prefix(2);
      if (tail.starts_with("\r\n") || tail.starts_with("\n")) saw_second_delimiter = true;
    }
    for (const std::string& h : raw_lines) {
      push(Var::kMultipartPartHeaders, disp.name, h);
    }
    if (disp.has_filename) {
      push(Var::kFiles, disp.name, disp.filename);
      push(Var::kFilesNames, disp.name, disp.name);
      push(Var::kFilesSizes, disp.name, std::to_string(content.size()));
      files_size += content.size();
    } else if (!addArgument(/*post=*/true, disp.name, content)) {
      break;
    }
    if (next_d == std::string_view::npos) {
      if (complete) fail("final boundary missing");
      break;
    }
    d = next_d;
  }
  finish();
}

namespace {

// nlohmann SAX handler building ARGS names the way libmodsecurity 3.0.9's JSON processor
// (yajl callbacks) does.
class JsonArgs : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonArgs(RequestDataBuilder& b) : b_(b) {}

  bool null() override { return add(""); }
  bool boolean(bool v) override { return add(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return addNumber(v); }
  bool number_unsigned(number_unsigned_t v) override { return addNumber(v); }
  bool number_float(number_float_t, const string_t& raw) override { return add(raw); }
  bool string(string_t& v) override { return add(v); }
  bool binary(binary_t&) override { return add(""); }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& k) override {
    current_key_ = k;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_ = true;
    error_position_ = position;
    error_message_ = ex.what();
    return false;
  }

  bool depthExceeded() const { return depth_exceeded_; }
  bool error() const { return error_; }
  size_t errorPosition() const { return error_position_; }
  const std::string& errorMessage() const { return error_message_; }
  bool limitHit() const { return limit_hit_; }

 private:
  struct Container {
    std::string name;
    bool array = false;
    uint64_t count = 0;
  };

  std::string currentKey() {
    if (containers_.empty()) return "json";
    if (current_key_.empty()) return containers_.back().array ? "" : "empty-key";
    std::string k = std::move(current_key_);
    current_key_.clear();
    return k;
  }

  bool open(bool array) {
    if (static_cast<int>(containers_.size()) >= RequestData::kMaxJsonDepth) {
      depth_exceeded_ = true;
      return false;
    }
    containers_.push_back(Container{currentKey(), array, 0});
    return true;
  }

  bool close() {
    if (!containers_.empty()) containers_.pop_back();
    if (!containers_.empty() && containers_.back().array) ++containers_.back().count;
    return true;
  }

  template <typename N>
  bool addNumber(N v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return add(std::string_view(buf, static_cast<size_t>(end - buf)));
  }

  bool add(std::string_view value) {
    path_.clear();
    for (const Container& c : containers_) {
      path_.append(c.name);
      if (c.array) {
        path_.append(".array_").append(std::to_string(c.count));
      } else {
        path_.push_back('.');
      }
    }
    if (!containers_.empty() && containers_.back().array) {
      ++containers_.back().count;
    } else {
      path_.append(currentKey());
    }
    if (!b_.addArgument(/*post=*/true, path_, value)) {
      limit_hit_ = true;
      return false;
    }
    return true;
  }

  RequestDataBuilder& b_;
  std::vector<Container> containers_;
  std::string current_key_;
  std::string path_;
  bool depth_exceeded_ = false;
  bool error_ = false;
  bool limit_hit_ = false;
  size_t error_position_ = 0;
  std::string error_message_;
};

}  // namespace

void RequestDataBuilder::parseJson(std::string_view body, bool complete) {
  JsonArgs sax(*this);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(body.begin(), body.end(), &sax);
  } catch (const std::exception& e) {
    bodyError(std::string("JSON parsing error: ") + e.what());
    return;
  }
  if (ok) return;
  if (sax.limitHit()) return;  // addArgument set the error
  if (sax.depthExceeded()) {
    bodyError("JSON parsing error: nested deeper than 64 levels");
    return;
  }
  if (sax.error()) {
    // A cut body ends in the middle of a value: not an error.
    if (!complete && sax.errorPosition() >= body.size()) return;
    bodyError("JSON parsing error: " + sax.errorMessage());
  }
}

void RequestDataBuilder::parseXml(std::string_view body, bool complete) {
  pugi::xml_document doc;
  pugi::xml_parse_result result =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_auto);
  if (!result && complete) {
    bodyError(std::string("XML parsing error: ") + result.description() + " at offset " +
              std::to_string(result.offset));
  }
  // Depth-first over what was parsed (all of it, or up to the error), without recursion.
  struct Frame {
    pugi::xml_node node;
    size_t path_len;
  };
  std::string path;
  std::vector<Frame> stack;
  for (pugi::xml_node child = doc.last_child(); child; child = child.previous_sibling()) {
    stack.push_back(Frame{child, 0});
  }
  bool too_deep = false;
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    path.resize(f.path_len);
    pugi::xml_node n = f.node;
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
      push(Var::kXml, path.empty() ? std::string_view("/") : std::string_view(path), n.value());
      continue;
    }
    if (n.type() != pugi::node_element) continue;
    path.push_back('/');
    path.append(n.name());
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      Element& e = push(Var::kXml, path, a.value());
      e.name.append("/@").append(a.name());
    }
    size_t depth = 0;
    for (char c : path) depth += c == '/';
    if (depth >= static_cast<size_t>(RequestData::kMaxXmlDepth)) {
      if (n.first_child()) too_deep = true;
      continue;
    }
    for (pugi::xml_node child = n.last_child(); child; child = child.previous_sibling()) {
      stack.push_back(Frame{child, path.size()});
    }
  }
  if (too_deep) bodyError("XML parsing error: nested deeper than 64 elements");
}

}  // namespace shipgate::managed

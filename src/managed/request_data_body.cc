// RequestData's body processors: multipart/form-data (our own RFC 7578 reader), JSON
// (nlohmann's SAX parser, names as libmodsecurity 3.0.9 gives them) and XML (pugixml).
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "request_data_impl.h"

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

// A Content-Disposition parameter value: a quoted string (backslash escapes resolved) or a
// token up to ';'. Advances `v` past it.
std::string takeParamValue(std::string_view& v) {
  std::string out;
  if (!v.empty() && v.front() == '"') {
    size_t i = 1;
    for (; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) ++i;
      out.push_back(v[i]);
    }
    v.remove_prefix(std::min(i + 1, v.size()));
  } else {
    size_t end = v.find(';');
    if (end == std::string_view::npos) end = v.size();
    out.assign(trimSpace(v.substr(0, end)));
    v.remove_prefix(end);
  }
  return out;
}

struct Disposition {
  bool form_data = false;
  bool has_name = false;
  bool has_filename = false;
  std::string name;
  std::string filename;
  bool malformed = false;  // unknown or repeated parameter, stray text
};

Disposition parseDisposition(std::string_view v) {
  Disposition d;
  v = trimSpace(v);
  size_t semi = v.find(';');
  d.form_data = equalsNoCase(trimSpace(v.substr(0, semi)), "form-data");
  if (semi == std::string_view::npos) return d;
  v.remove_prefix(semi + 1);
  while (true) {
    while (!v.empty() && (isBlank(v.front()) || v.front() == ';')) v.remove_prefix(1);
    if (v.empty()) break;
    size_t eq = v.find('=');
    if (eq == std::string_view::npos) {
      d.malformed = true;
      break;
    }
    std::string_view pname = trimSpace(v.substr(0, eq));
    v.remove_prefix(eq + 1);
    while (!v.empty() && isBlank(v.front())) v.remove_prefix(1);
    std::string value = takeParamValue(v);
    if (equalsNoCase(pname, "name")) {
      if (d.has_name) d.malformed = true;
      d.has_name = true;
      d.name = std::move(value);
    } else if (equalsNoCase(pname, "filename")) {
      if (d.has_filename) d.malformed = true;
      d.has_filename = true;
      d.filename = std::move(value);
    } else if (equalsNoCase(pname, "filename*")) {
      // RFC 5987 ext-value: charset'language'percent-encoded.
      std::string_view ext = value;
      size_t q1 = ext.find('\'');
      size_t q2 = q1 == std::string_view::npos ? q1 : ext.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) ext.remove_prefix(q2 + 1);
      if (d.has_filename) d.malformed = true;
      d.has_filename = true;
      d.filename.clear();
      uriDecode(ext, d.filename);
    } else {
      d.malformed = true;
    }
    while (!v.empty() && isBlank(v.front())) v.remove_prefix(1);
    if (!v.empty() && v.front() != ';') {
      d.malformed = true;
      size_t next = v.find(';');
      if (next == std::string_view::npos) break;
      v.remove_prefix(next);
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
  uint64_t files_size = 0;
  auto finish = [&] {
    setScalar(Var::kMultipartStrictError, (strict || body_error) ? "1" : "0");
    setScalar(Var::kMultipartUnmatchedBoundary, unmatched ? "1" : "0");
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
      std::string_view epilogue = trimSpace(body.substr(after + 2));
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
    std::vector<std::string> header_lines;
    bool headers_done = false;
    bool header_error = false;
    while (true) {
      size_t next = 0;
      if (!readLine(body, pos, &line, &next, &lf_only)) break;
      if (lf_only) strict = true;
      pos = next;
      if (line.empty()) {
        headers_done = true;
        break;
      }
      if (isBlank(line.front()) && !header_lines.empty()) {
        header_lines.back().push_back(' ');
        header_lines.back().append(trimSpace(line));
        continue;
      }
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        header_error = true;
        break;
      }
      header_lines.emplace_back(line);
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
      if (equalsNoCase(trimSpace(std::string_view(h).substr(0, colon)), "content-disposition")) {
        if (has_disposition) strict = true;
        has_disposition = true;
        disp = parseDisposition(std::string_view(h).substr(colon + 1));
      }
    }
    if (!has_disposition) {
      fail("part without Content-Disposition");
      break;
    }
    if (!disp.form_data || !disp.has_name) {
      fail(disp.form_data ? "part without a name" : "Content-Disposition is not form-data");
      break;
    }
    if (disp.malformed) strict = true;

    size_t content_end = 0;
    size_t next_d = findDelimiter(body, delim, pos, false, &content_end, &unmatched);
    std::string_view content;
    if (next_d == std::string_view::npos) {
      content = body.substr(pos);
    } else {
      content = body.substr(pos, content_end - pos);
    }
    for (const std::string& h : header_lines) {
      col(Var::kMultipartPartHeaders).push_back(Element{disp.name, h});
    }
    if (disp.has_filename) {
      col(Var::kFiles).push_back(Element{disp.name, disp.filename});
      col(Var::kFilesNames).push_back(Element{disp.name, disp.name});
      col(Var::kFilesSizes).push_back(Element{disp.name, std::to_string(content.size())});
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
  std::vector<Element>& xml = col(Var::kXml);
  bool too_deep = false;
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    path.resize(f.path_len);
    pugi::xml_node n = f.node;
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
      xml.push_back(Element{path.empty() ? "/" : path, n.value()});
      continue;
    }
    if (n.type() != pugi::node_element) continue;
    path.push_back('/');
    path.append(n.name());
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      xml.push_back(Element{path + "/@" + a.name(), a.value()});
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

// RequestData: the request line, headers, cookies and query string as libmodsecurity 3 fills
// them (Transaction::processURI / addRequestHeader / extractArguments), and the choice of the
// body processor. The body processors are in request_data_body.cc.
#include "shipgate/managed/request_data.h"

#include <charconv>

#include "request_data_impl.h"
#include "shipgate/common/strings.h"

namespace shipgate::managed {

namespace {

constexpr size_t kVarCount = static_cast<size_t>(Var::kResponseHeadersNames) + 1;

int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendDecimal(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Calls f(token) for each '&'-separated token as std::getline does: "a&&b" gives "a", "", "b";
// a trailing separator gives no empty token; "" gives none.
template <typename F>
void splitGetline(std::string_view s, char sep, F&& f) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string_view::npos) end = s.size();
    f(s.substr(pos, end - pos));
    pos = end + 1;
  }
}

// The media type of a Content-Type value, lower-cased, parameters and blanks removed.
std::string mediaType(std::string_view ct) {
  std::string_view t = trimAsciiSpace(ct.substr(0, ct.find(';')));
  std::string out;
  appendAsciiLower(out, t);
  return out;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The processor chosen by Content-Type (see the header), "" for none.
std::string_view processorFor(std::string_view content_type) {
  std::string type = mediaType(content_type);
  if (type.starts_with("multipart/form-data")) return "MULTIPART";
  if (type.starts_with("application/x-www-form-urlencoded")) return "URLENCODED";
  if (type.starts_with("application/json") || endsWith(type, "+json")) return "JSON";
  if (type.starts_with("text/xml") || type.starts_with("application/xml") ||
      type.starts_with("application/soap+xml") || endsWith(type, "+xml")) {
    return "XML";
  }
  return "";
}

void runProcessor(RequestDataBuilder& b, std::string_view processor,
                  std::string_view content_type, std::string_view body, bool complete) {
  if (processor.empty()) return;
  b.setScalar(Var::kReqbodyProcessor, processor);
  if (processor == "MULTIPART") {
    b.parseMultipart(content_type, body, complete);
  } else if (processor == "URLENCODED") {
    b.parseUrlencoded(body, /*post=*/true);
  } else if (processor == "JSON") {
    if (!body.empty()) b.parseJson(body, complete);
  } else if (processor == "XML") {
    if (!body.empty()) b.parseXml(body, complete);
  }
}

void finishSizes(RequestDataBuilder& b) {
  std::string size = std::to_string(b.args_combined_size);
  b.setScalar(Var::kArgsCombinedSize, size);
  if (!b.rd.hasScalar(Var::kFilesCombinedSize)) b.setScalar(Var::kFilesCombinedSize, "0");
}

}  // namespace

void urlDecodeNonStrict(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int h = hexValue(static_cast<unsigned char>(in[i + 1]));
      int l = hexValue(static_cast<unsigned char>(in[i + 2]));
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
      out.push_back('%');
    } else if (c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
}

void uriDecode(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int h = hexValue(static_cast<unsigned char>(in[i + 1]));
      int l = hexValue(static_cast<unsigned char>(in[i + 2]));
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
}

bool contentTypeParam(std::string_view ct, std::string_view param, std::string& value) {
  size_t semi = ct.find(';');
  while (semi != std::string_view::npos) {
    std::string_view rest = ct.substr(semi + 1);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = trimAsciiSpace(rest.substr(0, eq));
    std::string_view v = rest.substr(eq + 1);
    while (!v.empty() && isAsciiSpace(v.front())) v.remove_prefix(1);
    std::string parsed;
    size_t consumed = 0;
    if (!v.empty() && v.front() == '"') {
      size_t i = 1;
      for (; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        parsed.push_back(v[i]);
      }
      consumed = std::min(i + 1, v.size());
    } else {
      size_t end = v.find(';');
      if (end == std::string_view::npos) end = v.size();
      parsed.assign(trimAsciiSpace(v.substr(0, end)));
      consumed = end;
    }
    if (equalsIgnoreCase(name, param)) {
      value = std::move(parsed);
      return true;
    }
    size_t next = v.substr(consumed).find(';');
    if (next == std::string_view::npos) return false;
    semi = static_cast<size_t>(v.data() - ct.data()) + consumed + next;
  }
  return false;
}

bool RequestDataBuilder::addArgument(bool post, std::string_view name, std::string_view value) {
  const Elements& args = col(Var::kArgs);
  if (args.size() >= RequestData::kMaxArguments) {
    bodyError("more than 1000 arguments: the rest are not inspected");
    return false;
  }
  push(Var::kArgs, name, value);
  push(Var::kArgsNames, name, name);
  push(post ? Var::kArgsPost : Var::kArgsGet, name, value);
  push(post ? Var::kArgsPostNames : Var::kArgsGetNames, name, name);
  args_combined_size += name.size() + value.size();
  return true;
}

void RequestDataBuilder::bodyError(std::string_view msg) {
  if (body_error) return;
  body_error = true;
  setScalar(Var::kReqbodyError, "1");
  setScalar(Var::kReqbodyErrorMsg, msg);
}

void RequestDataBuilder::parseUrlencoded(std::string_view text, bool post) {
  std::string name;
  std::string value;
  bool full = false;
  splitGetline(text, '&', [&](std::string_view token) {
    if (full) return;
    size_t eq = token.find('=');
    name.clear();
    value.clear();
    urlDecodeNonStrict(token.substr(0, eq), name);
    if (eq != std::string_view::npos) urlDecodeNonStrict(token.substr(eq + 1), value);
    if (!addArgument(post, name, value)) full = true;
  });
}

RequestData::RequestData()
    : collections_(kVarCount), scalars_(kVarCount), present_(kVarCount, 0) {}

const Elements& RequestData::collection(Var v) const {
  return collections_[static_cast<size_t>(v)];
}

std::string_view RequestData::scalar(Var v) const {
  size_t i = static_cast<size_t>(v);
  return present_[i] ? std::string_view(scalars_[i]) : std::string_view();
}

bool RequestData::hasScalar(Var v) const { return present_[static_cast<size_t>(v)] != 0; }

void RequestData::build(const HttpRequestView& request) {
  for (Elements& c : collections_) c.truncate(0);
  for (auto& s : scalars_) s.clear();
  std::fill(present_.begin(), present_.end(), 0);
  query_args_cut_ = false;
  RequestDataBuilder b{*this};
  b.setScalar(Var::kReqbodyError, "0");  // bodyError() turns it to "1"

  // Request line and URI (Transaction::processURI).
  std::string_view uri = request.uri;
  std::string_view no_fragment = uri.substr(0, uri.find('#'));
  size_t qmark = no_fragment.find('?');
  std::string_view path_raw = no_fragment.substr(0, qmark);

  b.setScalar(Var::kRequestMethod, request.method);
  b.setScalar(Var::kRequestProtocol, request.protocol);
  {
    std::string& line = scalars_[static_cast<size_t>(Var::kRequestLine)];
    line.append(request.method).append(" ").append(uri).append(" ").append(request.protocol);
    present_[static_cast<size_t>(Var::kRequestLine)] = 1;
  }
  b.setScalar(Var::kRequestUriRaw, uri);
  {
    std::string& filename = scalars_[static_cast<size_t>(Var::kRequestFilename)];
    uriDecode(path_raw, filename);
    present_[static_cast<size_t>(Var::kRequestFilename)] = 1;
    size_t slash = filename.find_last_of("/\\");
    if (slash != std::string::npos && filename.size() > slash + 1) {
      b.setScalar(Var::kRequestBasename, std::string_view(filename).substr(slash + 1));
    }
  }
  {
    std::string& decoded = scalars_[static_cast<size_t>(Var::kRequestUri)];
    uriDecode(no_fragment, decoded);
    present_[static_cast<size_t>(Var::kRequestUri)] = 1;
    // Absolute form "scheme://host/path": keep from the path's '/' (as libmodsecurity 3).
    if (!decoded.empty() && decoded[0] != '/') {
      size_t colon = decoded.find(':');
      if (colon != std::string::npos && decoded.compare(colon + 1, 2, "//") == 0) {
        size_t path = decoded.find('/', colon + 3);
        if (path != std::string::npos) decoded.erase(0, path);
      }
    }
  }
  if (qmark != std::string_view::npos) {
    std::string_view query = no_fragment.substr(qmark + 1);
    b.setScalar(Var::kQueryString, query);
    b.parseUrlencoded(query, /*post=*/false);
    query_args_cut_ = b.body_error;
  }

  // Headers and cookies (Transaction::addRequestHeader).
  std::string_view content_type;
  bool has_content_type = false;
  std::string_view host;
  for (const waf::Header& h : request.headers) {
    b.push(Var::kRequestHeaders, h.name, h.value);
    b.push(Var::kRequestHeadersNames, h.name, h.name);
    if (equalsIgnoreCase(h.name, "cookie")) {
      std::string_view v = h.value;
      // The last cookie-pair (as getline splits: a final ';' ends it) loses trailing blanks.
      const char* v_end = v.data() + v.size();
      splitGetline(v, ';', [&](std::string_view c) {
        const char* c_end = c.data() + c.size();
        if (c_end == v_end || c_end + 1 == v_end) {
          while (!c.empty() && isAsciiSpace(c.back())) c.remove_suffix(1);
        }
        if (c.empty()) return;
        size_t eq = c.find('=');
        std::string_view key = c.substr(0, eq);
        std::string_view val = eq == std::string_view::npos ? std::string_view() : c.substr(eq + 1);
        while (!key.empty() && isAsciiSpace(key.front())) key.remove_prefix(1);
        if (key.empty()) return;
        b.push(Var::kRequestCookies, key, val);
        b.push(Var::kRequestCookiesNames, key, key);
      });
    } else if (equalsIgnoreCase(h.name, "content-type")) {
      if (!has_content_type) content_type = h.value;
      has_content_type = true;
    } else if (equalsIgnoreCase(h.name, "host") && host.empty()) {
      host = trimAsciiSpace(h.value);
    }
  }

  // Connection.
  b.setScalar(Var::kRemoteAddr, request.client_ip);
  appendDecimal(scalars_[static_cast<size_t>(Var::kRemotePort)],
                static_cast<uint64_t>(request.client_port < 0 ? 0 : request.client_port));
  present_[static_cast<size_t>(Var::kRemotePort)] = 1;
  if (!request.server_name.empty()) {
    b.setScalar(Var::kServerName, request.server_name);
  } else if (!host.empty()) {
    // The Host header's name part: "[::1]:8080" -> "[::1]", "example.com:80" -> "example.com".
    std::string_view name = host;
    if (name.front() == '[') {
      size_t close = name.find(']');
      if (close != std::string_view::npos) name = name.substr(0, close + 1);
    } else {
      name = name.substr(0, name.find(':'));
    }
    b.setScalar(Var::kServerName, name);
  }
  appendDecimal(scalars_[static_cast<size_t>(Var::kServerPort)],
                static_cast<uint64_t>(request.server_port < 0 ? 0 : request.server_port));
  present_[static_cast<size_t>(Var::kServerPort)] = 1;
  if (!request.unique_id.empty()) b.setScalar(Var::kUniqueId, request.unique_id);

  // Body.
  std::string_view body = request.body;
  if (!body.empty()) {
    b.setScalar(Var::kRequestBody, body);
    appendDecimal(scalars_[static_cast<size_t>(Var::kRequestBodyLength)], body.size());
    present_[static_cast<size_t>(Var::kRequestBodyLength)] = 1;
  }
  std::string_view processor = has_content_type ? processorFor(content_type) : std::string_view();
  runProcessor(b, processor, content_type, body, request.body_complete);
  content_type_.assign(content_type);

  finishSizes(b);
}

void RequestData::setBodyProcessor(const HttpRequestView& request, std::string_view processor) {
  // Drop what the body gave: ARGS keeps its ARGS_GET prefix.
  size_t get_count = collections_[static_cast<size_t>(Var::kArgsGet)].size();
  collections_[static_cast<size_t>(Var::kArgs)].truncate(get_count);
  collections_[static_cast<size_t>(Var::kArgsNames)].truncate(get_count);
  for (Var v : {Var::kArgsPost, Var::kArgsPostNames, Var::kFiles, Var::kFilesNames,
                Var::kFilesSizes, Var::kMultipartPartHeaders, Var::kXml}) {
    collections_[static_cast<size_t>(v)].truncate(0);
  }
  for (Var v : {Var::kReqbodyProcessor, Var::kReqbodyErrorMsg, Var::kMultipartStrictError,
                Var::kMultipartUnmatchedBoundary, Var::kFilesCombinedSize,
                Var::kArgsCombinedSize}) {
    scalars_[static_cast<size_t>(v)].clear();
    present_[static_cast<size_t>(v)] = 0;
  }
  RequestDataBuilder b{*this};
  b.setScalar(Var::kReqbodyError, "0");
  for (const Element& e : collections_[static_cast<size_t>(Var::kArgsGet)]) {
    b.args_combined_size += e.name.size() + e.value.size();
  }
  if (get_count >= kMaxArguments && query_args_cut_) {
    b.bodyError("more than 1000 arguments: the rest are not inspected");
  }
  std::string upper;
  for (char c : processor) upper.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c);
  std::string_view known;
  for (std::string_view k : {"URLENCODED", "MULTIPART", "JSON", "XML"}) {
    if (upper == k) known = k;
  }
  runProcessor(b, known, content_type_, request.body, request.body_complete);
  finishSizes(b);
}

}  // namespace shipgate::managed

// The HTTP scheme: Cloudflare's field names and how each is computed from a waf::Request.
#include "shipgate/waf/scheme.h"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "shipgate/http/cookies.h"
#include "shipgate/http/path.h"
#include "shipgate/http/percent.h"
#include "shipgate/http/query.h"
#include "shipgate/waf/eval_context.h"
#include "text.h"

namespace shipgate::waf {

namespace {

using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;

// The request-target split into raw path and raw query (no '?'); http::splitTarget is the one
// definition (absolute-form targets lose their scheme and authority, fragments are dropped).
std::pair<std::string_view, std::string_view> splitTarget(std::string_view target) {
  http::TargetParts parts = http::splitTarget(target);
  return {parts.path, parts.has_query ? parts.query : std::string_view()};
}

std::optional<std::string_view> header(const Request& r, std::string_view name) {
  for (const Header& h : r.headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

// All values of `name` joined by `sep` ("" when absent).
std::string_view joinedHeader(EvalContext& ctx, std::string_view name, std::string_view sep) {
  std::string_view first;
  int count = 0;
  for (const Header& h : ctx.request().headers) {
    if (equalsIgnoreCase(h.name, name) && count++ == 0) first = h.value;
  }
  if (count <= 1) return first;
  std::string& out = ctx.newString();
  for (const Header& h : ctx.request().headers) {
    if (!equalsIgnoreCase(h.name, name)) continue;
    if (!out.empty()) out.append(sep);
    out.append(h.value);
  }
  return out;
}

// The gateway's normalised path (Request::path); for requests built without it, the same
// http::normalizePath of the raw path. A path it refuses (the gateway answers 400 before the WAF
// runs) is seen raw.
std::string_view normalizedPath(EvalContext& ctx) {
  if (!ctx.request().path.empty()) return ctx.request().path;
  std::string_view raw = splitTarget(ctx.request().target).first;
  std::string scratch;
  http::NormalizedPath p = http::normalizePath(raw, scratch);
  if (!p.ok()) return raw;
  return p.path.data() == raw.data() ? raw : ctx.keep(p.path);
}

Value makeArray(EvalContext& ctx, const std::vector<std::string_view>& items) {
  Value* v = ctx.newValues(items.size());
  for (size_t i = 0; i < items.size(); ++i) v[i] = Value::ofBytes(items[i]);
  return Value::ofArray(v, static_cast<uint32_t>(items.size()));
}

// Map<Array<Bytes>> from (key, value) pairs: keys sorted (for binary search), values of one key
// in received order.
Value makeMultiMap(EvalContext& ctx, const Pairs& pairs) {
  std::vector<uint32_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return pairs[a].first < pairs[b].first; });
  size_t distinct = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || pairs[order[i]].first != pairs[order[i - 1]].first) ++distinct;
  }
  Value* flat = ctx.newValues(pairs.size());
  Value* arrays = ctx.newValues(distinct);
  std::string_view* keys = ctx.newKeys(distinct);
  size_t k = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && pairs[order[j]].first == pairs[order[i]].first) {
      flat[j] = Value::ofBytes(pairs[order[j]].second);
      ++j;
    }
    keys[k] = pairs[order[i]].first;
    arrays[k] = Value::ofArray(flat + i, static_cast<uint32_t>(j - i));
    ++k;
    i = j;
  }
  return Value::ofMap(keys, arrays, static_cast<uint32_t>(distinct));
}

Pairs queryPairs(std::string_view query) {
  Pairs out;
  http::QueryArg a;
  while (http::nextQueryArg(query, a)) out.emplace_back(a.name, a.value);
  return out;
}

Pairs argPairs(EvalContext& ctx) { return queryPairs(splitTarget(ctx.request().target).second); }

Pairs headerPairs(EvalContext& ctx) {
  Pairs out;
  for (const Header& h : ctx.request().headers) {
    bool lower =
        std::none_of(h.name.begin(), h.name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    std::string_view name = h.name;
    if (!lower) {
      std::string& s = ctx.newString();
      for (char c : h.name) s.push_back(asciiLower(c));
      name = s;
    }
    out.emplace_back(name, h.value);
  }
  return out;
}

// Every Cookie header, parsed by http::nextCookie (values unquoted, not decoded); names are
// percent-decoded, as in Cloudflare's http.request.cookies.
Pairs cookiePairs(EvalContext& ctx) {
  Pairs out;
  for (const Header& h : ctx.request().headers) {
    if (!equalsIgnoreCase(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    http::Cookie c;
    while (http::nextCookie(rest, c)) {
      std::string_view name = c.name;
      if (http::needsDecoding(name)) {
        std::string& decoded = ctx.newString();
        (void)http::percentDecode(name, decoded);
        name = decoded;
      }
      out.emplace_back(name, c.value);
    }
  }
  return out;
}

std::vector<std::string_view> firsts(const Pairs& p) {
  std::vector<std::string_view> out;
  out.reserve(p.size());
  for (auto& [k, v] : p) out.push_back(k);
  return out;
}

std::vector<std::string_view> seconds(const Pairs& p) {
  std::vector<std::string_view> out;
  out.reserve(p.size());
  for (auto& [k, v] : p) out.push_back(v);
  return out;
}

Value uri(EvalContext& ctx, bool raw) {
  auto [path, query] = splitTarget(ctx.request().target);
  std::string_view p = raw ? path : normalizedPath(ctx);
  if (query.data() == nullptr && p.data() == path.data() && p.size() == path.size()) {
    return Value::ofBytes(p);
  }
  if (raw && query.data() != nullptr)
    return Value::ofBytes({path.data(), path.size() + 1 + query.size()});
  std::string& out = ctx.newString();
  out.append(p);
  if (query.data() != nullptr) {
    out.push_back('?');
    out.append(query);
  }
  return Value::ofBytes(out);
}

Value getMethod(EvalContext& c) { return Value::ofBytes(c.request().method); }
Value getUri(EvalContext& c) { return uri(c, false); }
Value getRawUri(EvalContext& c) { return uri(c, true); }
Value getPath(EvalContext& c) { return Value::ofBytes(normalizedPath(c)); }
Value getRawPath(EvalContext& c) { return Value::ofBytes(splitTarget(c.request().target).first); }
Value getQuery(EvalContext& c) { return Value::ofBytes(splitTarget(c.request().target).second); }
Value getArgs(EvalContext& c) { return makeMultiMap(c, argPairs(c)); }
Value getArgNames(EvalContext& c) { return makeArray(c, firsts(argPairs(c))); }
Value getArgValues(EvalContext& c) { return makeArray(c, seconds(argPairs(c))); }
Value getFullUri(EvalContext& c) {
  std::string& out = c.newString();
  out.append(c.request().tls ? "https://" : "http://");
  out.append(header(c.request(), "host").value_or(""));
  out.append(uri(c, false).s);
  return Value::ofBytes(out);
}
Value getHost(EvalContext& c) { return Value::ofBytes(header(c.request(), "host").value_or("")); }
Value getUserAgent(EvalContext& c) {
  return Value::ofBytes(header(c.request(), "user-agent").value_or(""));
}
Value getReferer(EvalContext& c) {
  return Value::ofBytes(header(c.request(), "referer").value_or(""));
}
Value getCookie(EvalContext& c) { return Value::ofBytes(joinedHeader(c, "cookie", "; ")); }
Value getXff(EvalContext& c) { return Value::ofBytes(joinedHeader(c, "x-forwarded-for", ", ")); }
Value getCookies(EvalContext& c) { return makeMultiMap(c, cookiePairs(c)); }
Value getHeaders(EvalContext& c) { return makeMultiMap(c, headerPairs(c)); }
Value getHeaderNames(EvalContext& c) { return makeArray(c, firsts(headerPairs(c))); }
Value getHeaderValues(EvalContext& c) { return makeArray(c, seconds(headerPairs(c))); }
Value getIpSrc(EvalContext& c) {
  return c.request().client_ip ? Value::ofIp(*c.request().client_ip) : Value();
}
Value getSsl(EvalContext& c) { return Value::ofBool(c.request().tls); }
Value getBody(EvalContext& c) { return Value::ofBytes(c.request().body); }
Value getBodySize(EvalContext& c) { return Value::ofInt(c.request().body_size); }
Value getResponseCode(EvalContext& c) {
  return c.request().response_code ? Value::ofInt(*c.request().response_code) : Value();
}
Value getBotScore(EvalContext& c) {
  return c.request().bot_score ? Value::ofInt(*c.request().bot_score) : Value();
}
Value getVerifiedBot(EvalContext& c) { return Value::ofBool(c.request().verified_bot); }
Value optionalInt(const std::optional<int64_t>& v) { return v ? Value::ofInt(*v) : Value(); }
Value getWafScore(EvalContext& c) { return optionalInt(c.request().waf_score); }
Value getWafScoreSqli(EvalContext& c) { return optionalInt(c.request().waf_score_sqli); }
Value getWafScoreXss(EvalContext& c) { return optionalInt(c.request().waf_score_xss); }
Value getWafScoreRce(EvalContext& c) { return optionalInt(c.request().waf_score_rce); }
Value getManagedMatchedRules(EvalContext& c) {
  std::span<const int64_t> ids = c.request().managed_matched_rules;
  Value* v = c.newValues(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) v[i] = Value::ofInt(ids[i]);
  return Value::ofArray(v, static_cast<uint32_t>(ids.size()));
}

}  // namespace

Status Scheme::addField(std::string name, Type type, FieldGetter get, bool normalizable) {
  if (name.empty() || get == nullptr)
    return Status::invalidArgument("field needs a name and getter");
  if (find(name) != nullptr) return Status::alreadyExists("field " + name + " already exists");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) {
      return Status::invalidArgument("bad field name " + name);
    }
  }
  FieldDef def{std::move(name), type, get, normalizable, static_cast<uint32_t>(fields_.size())};
  fields_.push_back(std::move(def));
  return Status::success();
}

const FieldDef* Scheme::find(std::string_view name) const {
  for (const FieldDef& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Scheme Scheme::http() {
  Scheme s;
  const Type b = Type::bytes();
  const Type arr = *Type::arrayOf(b);
  const Type multimap = *Type::mapOf(arr);
  struct Def {
    const char* name;
    Type type;
    FieldGetter get;
    bool normalizable;
  };
  const Def defs[] = {
      {"http.request.method", b, getMethod, false},
      {"http.request.uri", b, getUri, true},
      {"http.request.uri.path", b, getPath, true},
      {"http.request.uri.query", b, getQuery, true},
      {"http.request.uri.args", multimap, getArgs, true},
      {"http.request.uri.args.names", arr, getArgNames, true},
      {"http.request.uri.args.values", arr, getArgValues, true},
      {"http.request.full_uri", b, getFullUri, true},
      {"http.host", b, getHost, false},
      {"http.user_agent", b, getUserAgent, true},
      {"http.referer", b, getReferer, true},
      {"http.cookie", b, getCookie, true},
      {"http.request.cookies", multimap, getCookies, true},
      {"http.request.headers", multimap, getHeaders, true},
      {"http.request.headers.names", arr, getHeaderNames, false},
      {"http.request.headers.values", arr, getHeaderValues, true},
      {"http.x_forwarded_for", b, getXff, true},
      {"ip.src", Type::ip(), getIpSrc, false},
      {"ssl", Type::boolean(), getSsl, false},
      {"http.request.body.raw", b, getBody, true},
      {"http.request.body.size", Type::integer(), getBodySize, false},
      {"http.response.code", Type::integer(), getResponseCode, false},
      {"cf.bot_management.score", Type::integer(), getBotScore, false},
      {"cf.bot_management.verified_bot", Type::boolean(), getVerifiedBot, false},
      {"cf.waf.score", Type::integer(), getWafScore, false},
      {"cf.waf.score.sqli", Type::integer(), getWafScoreSqli, false},
      {"cf.waf.score.xss", Type::integer(), getWafScoreXss, false},
      {"cf.waf.score.rce", Type::integer(), getWafScoreRce, false},
      {"cf.waf.managed.matched_rules", *Type::arrayOf(Type::integer()), getManagedMatchedRules,
       false},
      {"raw.http.request.uri", b, getRawUri, false},
      {"raw.http.request.uri.path", b, getRawPath, false},
      {"raw.http.request.uri.query", b, getQuery, false},
      {"raw.http.request.uri.args", multimap, getArgs, false},
      {"raw.http.request.uri.args.names", arr, getArgNames, false},
      {"raw.http.request.uri.args.values", arr, getArgValues, false},
  };
  for (const Def& d : defs) {
    Status st = s.addField(d.name, d.type, d.get, d.normalizable);
    (void)st;  // names above are distinct and valid
  }
  return s;
}

}  // namespace shipgate::waf

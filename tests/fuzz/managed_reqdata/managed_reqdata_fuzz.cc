// libFuzzer entry point for RequestData::build (the query string, cookie and body processors:
// urlencoded, multipart, JSON, XML). Input: "<content type>\0<query string>\0<body>"; a content
// type starting with '!' (removed) marks the body as a prefix (body_complete = false); the
// query string doubles as a Cookie header. Besides memory errors it traps on broken
// invariants: ARGS is ARGS_GET then ARGS_POST, *_NAMES mirror their collections, at most
// kMaxArguments arguments, REQBODY_ERROR is "0" or "1" with a message when "1", the FILES
// collections agree, a reused RequestData equals a fresh one, and setBodyProcessor (with a
// processor picked by the input size) keeps all that and ARGS_GET.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/managed/request_data.h"

using namespace shipgate::managed;

namespace {

bool same(const Elements& a, const Elements& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

void checkNames(const RequestData& rd, Var col, Var names) {
  const auto& c = rd.collection(col);
  const auto& n = rd.collection(names);
  if (c.size() != n.size()) abort();
  for (size_t i = 0; i < c.size(); ++i) {
    if (n[i].name != c[i].name || n[i].value != c[i].name) abort();
  }
}

void checkInvariants(const RequestData& rd) {
  const auto& args = rd.collection(Var::kArgs);
  const auto& get = rd.collection(Var::kArgsGet);
  const auto& post = rd.collection(Var::kArgsPost);
  if (args.size() != get.size() + post.size()) abort();
  if (args.size() > RequestData::kMaxArguments) abort();
  for (size_t i = 0; i < args.size(); ++i) {
    const Element& e = i < get.size() ? get[i] : post[i - get.size()];
    if (e.name != args[i].name || e.value != args[i].value) abort();
  }
  checkNames(rd, Var::kArgs, Var::kArgsNames);
  checkNames(rd, Var::kArgsGet, Var::kArgsGetNames);
  checkNames(rd, Var::kArgsPost, Var::kArgsPostNames);
  checkNames(rd, Var::kRequestCookies, Var::kRequestCookiesNames);
  checkNames(rd, Var::kFiles, Var::kFilesNames);
  if (rd.collection(Var::kFilesSizes).size() != rd.collection(Var::kFiles).size()) abort();
  std::string_view err = rd.scalar(Var::kReqbodyError);
  if (err != "0" && err != "1") abort();
  if (err == "1" && rd.scalar(Var::kReqbodyErrorMsg).empty()) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t a = input.find('\0');
  std::string_view content_type = input.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : input.substr(a + 1);
  size_t b = rest.find('\0');
  std::string_view query = rest.substr(0, b);
  std::string_view body = b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
  bool complete = true;
  if (!content_type.empty() && content_type.front() == '!') {
    complete = false;
    content_type.remove_prefix(1);
  }

  std::string uri = "/fuzz/p%41th?";
  uri.append(query);
  std::vector<shipgate::waf::Header> headers = {
      {"Host", "example.com:8080"}, {"Content-Type", content_type}, {"Cookie", query}};
  HttpRequestView req;
  req.method = "POST";
  req.uri = uri;
  req.headers = headers;
  req.body = body;
  req.body_complete = complete;

  static RequestData* reused = new RequestData();  // leaked on purpose: fuzz harness
  reused->build(req);
  RequestData fresh;
  fresh.build(req);
  const RequestData& rd = *reused;

  checkInvariants(rd);
  if (rd.scalar(Var::kRequestFilename) != "/fuzz/pAth") abort();

  for (Var v : {Var::kArgs, Var::kArgsNames, Var::kRequestHeaders, Var::kRequestCookies,
                Var::kFiles, Var::kFilesSizes, Var::kMultipartPartHeaders, Var::kXml}) {
    if (!same(rd.collection(v), fresh.collection(v))) abort();
  }
  for (Var v : {Var::kQueryString, Var::kRequestBody, Var::kReqbodyError, Var::kReqbodyErrorMsg,
                Var::kReqbodyProcessor, Var::kArgsCombinedSize, Var::kFilesCombinedSize,
                Var::kMultipartStrictError, Var::kRequestUri}) {
    if (rd.scalar(v) != fresh.scalar(v) || rd.hasScalar(v) != fresh.hasScalar(v)) abort();
  }

  // ctl:requestBodyProcessor: any processor on any body keeps the invariants and ARGS_GET.
  static constexpr std::string_view kProcessors[] = {"URLENCODED", "multipart", "JSON", "XML",
                                                     "none"};
  size_t get_before = rd.collection(Var::kArgsGet).size();
  reused->setBodyProcessor(req, kProcessors[size % 5]);
  checkInvariants(rd);
  if (rd.collection(Var::kArgsGet).size() != get_before) abort();
  return 0;
}

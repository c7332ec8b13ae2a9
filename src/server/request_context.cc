#include "request_context.h"

#include "shipgate/http/cookies.h"
#include "shipgate/rum/release_labels.h"
#include "response_head.h"

namespace shipgate::server {
namespace {

bool validRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

RequestContext::RequestContext(Worker& worker) : worker_(worker), phases_(worker.phases()) {}

RequestContext::~RequestContext() {
  abort();
  if (waf_scratch_) worker_.giveBackWafScratch(std::move(waf_scratch_));
}

void RequestContext::begin(const http::Request& request) {
  request_ = &request;
  start_ = worker_.loop().now();
  snap_ = worker_.snapshot();
  route_ = {};
  bytes_sent_ = 0;
  status_ = 0;
  endpoint_ = nullptr;
  next_phase_ = 0;
  resumed_.reset();
  watcher_ = nullptr;
  waf_ = nullptr;
  waf_fields_.clear();
}

void RequestContext::start(const http::Request& request) {
  begin(request);
  std::string_view rid = request.header("x-request-id");
  if (validRequestId(rid)) {
    request_id_.assign(rid);
  } else {
    worker_.newRequestId(request_id_);
  }
  runPhases();
}

void RequestContext::startError(const http::Request& partial, int status,
                                std::string_view reason) {
  begin(partial);
  worker_.newRequestId(request_id_);
  codec_->disableKeepAlive();
  std::string& body = scratch_text_;
  body.assign(reasonPhrase(status));
  if (!reason.empty()) {
    body += ": ";
    body += reason;
  }
  body += "\n";
  respond(status, body);
  finish();
}

void RequestContext::runPhases() {
  running_ = true;
  PhaseResult r = PhaseResult::kContinue;
  while (next_phase_ < phases_.steps.size()) {
    r = phases_.steps[next_phase_]->run(*this);
    if (r == PhaseResult::kSuspend) {
      if (!resumed_) {
        running_ = false;
        return;
      }
      r = *resumed_;
      resumed_.reset();
    }
    if (request_ == nullptr || tunnel_) {  // aborted, or became a tunnel, during the phase
      running_ = false;
      return;
    }
    if (r == PhaseResult::kDone) break;
    ++next_phase_;
  }
  running_ = false;
  if (r != PhaseResult::kDone) respond(500, "no phase answered the request\n");
  finish();
}

void RequestContext::resume(PhaseResult result) {
  if (running_) {
    resumed_ = result;
    return;
  }
  if (request_ == nullptr || tunnel_) return;
  if (result == PhaseResult::kDone) {
    finish();
    return;
  }
  ++next_phase_;
  runPhases();
}

void RequestContext::finish() {
  if (phases_.log) phases_.log->run(*this);
  releaseHeld();
  request_ = nullptr;
  snap_.reset();
  // Last: the codec may start the next request on this context before it returns.
  codec_->requestComplete();
}

void RequestContext::abort() {
  if (held_) held_->abort();
  releaseHeld();
  resumed_.reset();
  request_ = nullptr;
  tunnel_ = false;
  waf_ = nullptr;
  snap_.reset();
}

void RequestContext::hold(std::unique_ptr<SuspendedWork> work) {
  releaseHeld();
  held_ = std::move(work);
}

void RequestContext::releaseHeld() {
  watcher_ = nullptr;
  // It may be on the stack (this runs from its callbacks): freed at the end of the iteration.
  if (held_) worker_.deferDelete(std::move(held_));
}

void RequestContext::downstreamDrained() {
  if (watcher_ != nullptr) watcher_->onDownstreamDrained();
}

void RequestContext::downstreamReadable() {
  if (watcher_ != nullptr) watcher_->onDownstreamReadable();
}

// ---- responses ----

void RequestContext::encodeHeaders(ResponseHeaders& head) {
  std::vector<HeaderField>* fields = head.fields;
  if (fields == nullptr) fields = &scratchFields();
  head.fields = fields;
  bool has_request_id = false;
  for (const auto& f : *fields) {
    if (f.first.size() == 12 && http::equalsIgnoreCase(f.first, "x-request-id")) {
      has_request_id = true;
      break;
    }
  }
  if (!has_request_id) fields->emplace_back("X-Request-Id", request_id_);
  if (head.status >= 200 && head.status < 300) addReleaseCookie(head, *fields);
  for (const auto& [name, value] : waf_fields_) fields->emplace_back(name, value);
  bytes_sent_ += codec_->encodeHeaders(head);
}

void RequestContext::addReleaseCookie(const ResponseHeaders& head,
                                      std::vector<HeaderField>& fields) {
  if (!snap_ || !snap_->rum || !snap_->rum->config().enabled) return;
  bool html = false;
  for (const auto& f : fields) {
    if (f.first.size() == 12 && http::equalsIgnoreCase(f.first, "content-type")) {
      std::string_view v = f.second.substr(0, 9);
      html = v.size() == 9 && http::equalsIgnoreCase(v, "text/html");
      break;
    }
  }
  if (!html) return;
  static const rum::SlotReleaseLabels kSlotLabels;
  const rum::ReleaseLabels* labels = worker_.gateway().deps().release_labels;
  if (labels == nullptr) labels = &kSlotLabels;
  std::string label;
  if (head.endpoint != nullptr) {
    const std::string_view slot = traffic::slotName(head.endpoint->slot);
    label = rum::releaseLabel(head.endpoint->app, labels->version(head.endpoint->app, slot));
  } else if (route_.site != nullptr && route_.site->kind == traffic::SiteKind::kStatic) {
    label = rum::releaseLabel(route_.site->name, labels->version(route_.site->name, ""));
  } else {
    return;
  }
  // Already named by the client's cookie: nothing to set.
  if (http::findCookie(*request_, rum::kReleaseCookie) == std::string_view(label)) return;
  release_cookie_ = rum::releaseCookieHeader(label);
  fields.emplace_back("Set-Cookie", release_cookie_);
}

void RequestContext::encodeData(std::string_view data) {
  codec_->encodeData(data);
  bytes_sent_ += data.size();
}

void RequestContext::respond(int status, std::string_view body, std::vector<HeaderField>* fields,
                             std::string_view content_type) {
  if (request_->upgrade()) codec_->disableKeepAlive();
  if (fields == nullptr) fields = &scratchFields();
  if (!body.empty() && !content_type.empty()) fields->emplace_back("Content-Type", content_type);
  ResponseHeaders h;
  h.status = status;
  h.content_length = static_cast<int64_t>(body.size());
  h.local = true;
  h.fields = fields;
  encodeHeaders(h);
  if (!request_->isMethod("HEAD")) encodeData(body);
  status_ = status;
}

void RequestContext::respondFile(int status, int64_t content_length,
                                 std::vector<HeaderField>* fields,
                                 std::shared_ptr<const staticsite::OpenFile> file, off_t offset,
                                 size_t length) {
  if (request_->upgrade()) codec_->disableKeepAlive();
  ResponseHeaders h;
  h.status = status;
  h.content_length = content_length;
  h.local = true;
  h.fields = fields;
  encodeHeaders(h);
  if (file) {
    codec_->encodeFile(std::move(file), offset, length);
    bytes_sent_ += length;
  }
  status_ = status;
}

void RequestContext::complete(int status, const traffic::Endpoint* endpoint) {
  status_ = status;
  endpoint_ = endpoint;
  resume(PhaseResult::kDone);
}

void RequestContext::failBeforeHead(int status, std::string_view body,
                                    const traffic::Endpoint* endpoint) {
  endpoint_ = endpoint;
  std::string& text = scratch_text_;
  text.assign(body);
  text += "\n";
  respond(status, text);
  resume(PhaseResult::kDone);
}

void RequestContext::abortAfterHead(int status, const traffic::Endpoint* endpoint) {
  status_ = status;
  endpoint_ = endpoint;
  codec_->disableKeepAlive();
  if (phases_.log) phases_.log->run(*this);
  abort();
  codec_->resetStream();
}

void RequestContext::tunnelEstablished(const traffic::Endpoint* endpoint) {
  status_ = 101;
  endpoint_ = endpoint;
  double seconds = std::chrono::duration<double>(worker_.loop().now() - start_).count();
  worker_.metrics().recordRequest(labels(), 101, seconds);
  firewallResponse();
  tunnel_ = true;
  codec_->beginTunnel();
}

// ---- firewall and log ----

firewall::Scratch& RequestContext::wafScratch() {
  if (!waf_scratch_) waf_scratch_ = worker_.takeWafScratch();
  return *waf_scratch_;
}

void RequestContext::firewallPassed(const firewall::Firewall& fw, const firewall::Decision& d) {
  waf_ = &fw;
  waf_fields_ = d.headers;
}

void RequestContext::firewallResponse() {
  const firewall::Firewall* fw = waf_;
  waf_ = nullptr;
  if (fw != nullptr && waf_scratch_) fw->onResponse(waf_view_, status_, *waf_scratch_);
}

metrics::RequestLabels RequestContext::labels() const {
  const traffic::SiteConfig* site = route_.site;
  metrics::RequestLabels l;
  if (site != nullptr) l.site = site->name;
  if (endpoint_ != nullptr) {
    l.app = endpoint_->app;
    l.slot = traffic::slotName(endpoint_->slot);
    l.region = endpoint_->region;
  } else if (site != nullptr && site->kind == traffic::SiteKind::kApp) {
    l.app = site->app;
  }
  return l;
}

void RequestContext::logRequest() {
  double seconds = std::chrono::duration<double>(worker_.loop().now() - start_).count();
  metrics::RequestLabels l = labels();
  worker_.metrics().recordRequest(l, status_, seconds);
  firewallResponse();
  waf_fields_.clear();
  AccessLogBuffer& log = worker_.accessLog();
  if (!log.enabled()) return;
  AccessLogEntry e;
  e.wall_ms = worker_.loop().clock().wallMillis();
  e.request_id = request_id_;
  e.client_ip = client_ip_;
  e.method = request_->method();
  e.path = request_->path();
  e.status = status_;
  e.bytes = bytes_sent_;
  e.duration_s = seconds;
  e.site = l.site;
  e.app = l.app;
  e.slot = l.slot;
  std::string upstream;
  if (endpoint_ != nullptr) upstream = endpoint_->address.toString();
  e.upstream = upstream;
  log.append(e);
}

}  // namespace shipgate::server

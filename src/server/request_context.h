// RequestContext: one request from the moment its head and body are parsed until its response is
// queued and logged. Runs the worker's PhaseList (firewall → route → redirect → static | proxy),
// any of which may suspend and resume later on the loop; then the log phase (metrics, firewall
// response accounting, access log) and hands the connection back to the codec. It knows nothing
// of HTTP/1 framing: responses go out as ResponseHeaders + data through the DownstreamCodec, so an
// HTTP/2 stream can feed the same context.
//
// Used by one codec at a time (attach()), one request at a time, reused across requests. The
// http::Request it is given must stay valid until the codec's requestComplete() is called. Loop
// thread only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "downstream.h"
#include "request_phase.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/metrics/registry.h"
#include "worker.h"

namespace shipgate::server {

class RequestContext final : public DownstreamCallbacks {
 public:
  explicit RequestContext(Worker& worker);
  ~RequestContext();

  // Binds the context to the connection it serves next (pooled contexts move between
  // connections; see request_slot.h). REQUIRES: idle().
  void attach(DownstreamCodec& codec, std::string_view client_ip, bool tls) {
    codec_ = &codec;
    client_ip_.assign(client_ip);
    tls_ = tls;
  }

  // Runs the phases on request. REQUIRES: idle().
  void start(const http::Request& request);
  // Answers a request that could not be read (parse error, timeout) with status and logs it.
  void startError(const http::Request& partial, int status, std::string_view reason);
  // Continues a suspended phase: kContinue runs the next phase, kDone finishes the request.
  void resume(PhaseResult result);
  // The downstream went away: aborts the suspended phase; the request is not logged.
  void abort();
  bool idle() const { return request_ == nullptr && !tunnel_; }
  bool inTunnel() const { return tunnel_; }
  // Forwarded by the codec to the phase that registered a watcher.
  void downstreamDrained();
  void downstreamReadable();

  // ---- DownstreamCallbacks ----
  const http::Request& request() const override { return *request_; }
  Identity identity() const override { return {request_id_, client_ip_, tls_}; }
  std::vector<HeaderField>& responseFields() override { return scratchFields(); }
  void encodeHeaders(ResponseHeaders& head) override;
  void encodeData(std::string_view data) override;
  DownstreamCodec& codec() override { return *codec_; }
  void complete(int status, const traffic::Endpoint* endpoint) override;
  void failBeforeHead(int status, std::string_view body,
                      const traffic::Endpoint* endpoint) override;
  void abortAfterHead(int status, const traffic::Endpoint* endpoint) override;
  void tunnelEstablished(const traffic::Endpoint* endpoint) override;

  // ---- for phases ----
  Worker& worker() { return worker_; }
  const Snapshot& snapshot() const { return *snap_; }
  bool isTls() const { return tls_; }
  std::string_view clientIp() const { return client_ip_; }
  std::string_view requestId() const { return request_id_; }
  void setRoute(const traffic::RouteMatch& match) { route_ = match; }
  const traffic::RouteMatch& route() const { return route_; }
  // Keeps the per-request state of a suspended phase until the request ends.
  void hold(std::unique_ptr<SuspendedWork> work);
  SuspendedWork* held() { return held_.get(); }
  // Local answers: body with content_type (none when empty or body is empty), extra fields,
  // Content-Length set; no body for HEAD. Not keep-alive when the request asked to upgrade.
  void respond(int status, std::string_view body, std::vector<HeaderField>* fields = nullptr,
               std::string_view content_type = "text/plain; charset=utf-8");
  // A local answer whose body is a file range (static sites); body bytes counted by the caller.
  void respondFile(int status, int64_t content_length, std::vector<HeaderField>* fields,
                   std::shared_ptr<const staticsite::OpenFile> file, off_t offset, size_t length);
  std::vector<HeaderField>& scratchFields() {
    scratch_fields_.clear();
    return scratch_fields_;
  }
  std::string& scratchText() { return scratch_text_; }
  void addBytesSent(uint64_t n) { bytes_sent_ += n; }
  // The firewall passed the request: its response accounting (onResponse) and the fields it adds.
  firewall::Scratch& wafScratch();
  firewall::RequestView& wafView() { return waf_view_; }
  void firewallPassed(const firewall::Firewall& fw, const firewall::Decision& d);
  // The log phase: metrics, firewall accounting, access log.
  void logRequest();
  // The one place request metric labels are built.
  metrics::RequestLabels labels() const;

 private:
  void begin(const http::Request& request);
  void runPhases();
  void finish();
  void firewallResponse();
  void releaseHeld();
  // An HTML answer (2xx) names the release that served it in the sg_rel cookie (RUM attribution).
  void addReleaseCookie(const ResponseHeaders& head, std::vector<HeaderField>& fields);

  Worker& worker_;
  DownstreamCodec* codec_ = nullptr;  // set by attach()
  std::string client_ip_;
  bool tls_ = false;
  const PhaseList& phases_;

  const http::Request* request_ = nullptr;
  std::shared_ptr<const Snapshot> snap_;
  traffic::RouteMatch route_;
  Clock::time_point start_;
  std::string request_id_;
  uint64_t bytes_sent_ = 0;
  int status_ = 0;
  const traffic::Endpoint* endpoint_ = nullptr;
  size_t next_phase_ = 0;
  bool running_ = false;                  // inside runPhases()
  std::optional<PhaseResult> resumed_;    // resume() called before the phase returned
  bool tunnel_ = false;
  std::unique_ptr<SuspendedWork> held_;
  std::vector<HeaderField> scratch_fields_;
  std::string scratch_text_;
  std::string release_cookie_;  // the Set-Cookie value addReleaseCookie adds
  // The WAF: the firewall that passed the request (kept alive by snap_), the view it saw (valid
  // while the request is) and the fields it adds to the response.
  std::unique_ptr<firewall::Scratch> waf_scratch_;
  const firewall::Firewall* waf_ = nullptr;
  firewall::RequestView waf_view_;
  firewall::ResponseHeaders waf_fields_;  // the passing firewall's headers (inline, no allocation)
};

}  // namespace shipgate::server

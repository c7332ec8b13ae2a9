// rum.js: the browser side of RUM, served by the gateway at <rum.path>.js.
//
// - homepage_load_time: on the homepage ("/" or "/index.html"), once the load event has finished,
//   the navigation entry's loadEventEnd - startTime (Navigation Timing Level 2), in ms.
// - window.shipgateRum.report(name, ms): for the app to call with its own measurements
//   (wallet_connection_time after a wallet connects, transaction_confirmation after a transaction
//   confirms). Returns whether the beacon was handed to the browser.
// Beacons go out with navigator.sendBeacon (text/plain, same-origin, cookies included, so the
// sg_rel cookie names the release that served the page), or fetch(..., {keepalive: true}) where
// sendBeacon is missing or refuses the beacon.
#include <string>
#include <string_view>

#include "shipgate/rum/rum_intake.h"

namespace shipgate::rum {
namespace {

constexpr std::string_view kScript = R"JS((function () {
  "use strict";
  if (window.shipgateRum) return;
  var endpoint = "@@BEACON_PATH@@";
  function send(measurements) {
    var body = JSON.stringify({ m: measurements, p: location.pathname });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return true;
    } catch (e) { /* fall through to fetch */ }
    if (window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "same-origin",
                        headers: { "Content-Type": "application/json" } }).catch(function () {});
      return true;
    }
    return false;
  }
  function report(name, ms) {
    if (typeof name !== "string" || typeof ms !== "number" || !isFinite(ms) || ms < 0) return false;
    return send([{ n: name, v: Math.round(ms * 10) / 10 }]);
  }
  window.shipgateRum = { report: report };
  function sendPageLoad() {
    var path = location.pathname;
    if (path !== "/" && path !== "/index.html") return;
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!nav || !(nav.loadEventEnd > 0)) return;
    report("homepage_load_time", nav.loadEventEnd - nav.startTime);
  }
  function afterLoad() { setTimeout(sendPageLoad, 0); }
  if (document.readyState === "complete") afterLoad();
  else window.addEventListener("load", afterLoad, { once: true });
})();
)JS";

}  // namespace

std::string rumScript(std::string_view beacon_path) {
  std::string out(kScript);
  const std::string_view marker = "@@BEACON_PATH@@";
  size_t at = out.find(marker);
  // The path is validated config (letters, digits, - _ . ~ /): nothing to escape in a JS string.
  if (at != std::string::npos) out.replace(at, marker.size(), beacon_path);
  return out;
}

}  // namespace shipgate::rum

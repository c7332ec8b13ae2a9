// shipgate: edge gateway and release controller in one binary. This file only parses the command
// line (CLI11) and dispatches to the subcommands in commands.h.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "commands.h"

namespace {
std::string defaultConfig() {
  const char* env = std::getenv("SHIPGATE_CONFIG");
  return env && *env ? env : "shipgate.yaml";
}
}  // namespace

int main(int argc, char** argv) {
  using namespace shipgate::cli;
  CLI::App app{"shipgate: edge gateway and release controller"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "shipgate 0.1.0");

  ServeOptions serve_opts{defaultConfig(), "", ""};
  auto* serve = app.add_subcommand("serve", "Run the gateway");
  serve->add_option("-c,--config", serve_opts.config_path, "Config file")->capture_default_str();
  serve->add_option("--ready-file", serve_opts.ready_file,
                    "Write the bound ports as JSON to this file once every port is bound "
                    "(before the privilege drop)");
  serve->add_option("--log-level", serve_opts.log_level, "debug|info|warn|error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  std::string check_config = defaultConfig();
  auto* check = app.add_subcommand("check", "Validate a config file");
  check->add_option("-c,--config", check_config, "Config file")->capture_default_str();

  std::string health_config = defaultConfig();
  bool health_json = false;
  auto* health = app.add_subcommand("health", "Run every configured health check once");
  health->add_option("-c,--config", health_config, "Config file")->capture_default_str();
  health->add_flag("--json", health_json, "Print JSON instead of a table");

  ClientOptions client{defaultConfig(), "", ""};
  auto add_client_opts = [&client](CLI::App* sub) {
    sub->add_option("-c,--config", client.config_path,
                    "Config file naming admin.address and admin.token_file")
        ->capture_default_str();
    sub->add_option("--admin", client.admin_url, "Admin API URL, e.g. http://127.0.0.1:9901");
    sub->add_option("--token-file", client.token_file, "File holding the admin bearer token");
  };

  bool status_json = false;
  auto* status = app.add_subcommand("status", "Show apps, slots, endpoints and health");
  add_client_opts(status);
  status->add_flag("--json", status_json, "Print the raw JSON");

  std::string sw_app, sw_slot, sw_weights;
  auto* sw = app.add_subcommand("switch", "Switch an app's traffic to a slot, or split it");
  add_client_opts(sw);
  sw->add_option("--app", sw_app, "App name")->required();
  auto* slot_opt = sw->add_option("--slot", sw_slot, "blue|green")
                       ->check(CLI::IsMember({"blue", "green"}));
  auto* weights_opt =
      sw->add_option("--weights", sw_weights, "Weighted split, e.g. blue=90,green=10");
  slot_opt->excludes(weights_opt);
  weights_opt->excludes(slot_opt);

  auto* reload = app.add_subcommand("reload", "Ask the running gateway to re-read its config");
  add_client_opts(reload);

  std::string fo_app, fo_region;
  auto* failover = app.add_subcommand("failover", "Region failover");
  failover->require_subcommand(1);
  auto* approve = failover->add_subcommand("approve", "Approve a manual_approval failover");
  add_client_opts(approve);
  approve->add_option("--app", fo_app, "App name")->required();
  approve->add_option("--region", fo_region, "Region to let traffic into")->required();

  WafTestOptions waf_test_opts;
  waf_test_opts.config_path = defaultConfig();
  std::string waf_fmt_config, waf_fmt_expr;
  auto* waf = app.add_subcommand("waf", "Try the WAF rules offline");
  waf->require_subcommand(1);
  auto* waf_test = waf->add_subcommand("test", "Print each rule's verdict on one request");
  waf_test->add_option("-c,--config", waf_test_opts.config_path, "Config file")
      ->capture_default_str();
  waf_test->add_option("--request", waf_test_opts.request_file, "File with a raw HTTP request");
  waf_test->add_option("--url", waf_test_opts.url, "Request path or http(s):// URL");
  waf_test->add_option("-H,--header", waf_test_opts.headers, "Header 'Name: value' (repeatable)");
  waf_test->add_option("-X,--method", waf_test_opts.method, "Request method")
      ->capture_default_str();
  waf_test->add_option("--body", waf_test_opts.body, "Request body");
  waf_test->add_option("--client-ip", waf_test_opts.client_ip, "Client address (ip.src)")
      ->capture_default_str();
  waf_test->add_flag("--tls", waf_test_opts.tls, "The request came over TLS");
  waf_test->add_option("--repeat", waf_test_opts.repeat,
                       "Send the request N times at one instant (rate limits); the last verdict is printed");
  auto* waf_fmt = waf->add_subcommand("fmt", "Print rules in canonical form");
  waf_fmt->add_option("-c,--config", waf_fmt_config, "Print every security rule of this config");
  waf_fmt->add_option("expression", waf_fmt_expr, "One rule expression");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (serve->parsed()) return runServe(serve_opts);
  if (check->parsed()) return runCheck(check_config);
  if (health->parsed()) return runHealth(health_config, health_json);
  if (status->parsed()) return runStatus(client, status_json);
  if (sw->parsed()) {
    if (sw_slot.empty() && sw_weights.empty()) {
      std::cerr << "shipgate switch: give --slot blue|green or --weights blue=N,green=M\n";
      return 2;
    }
    return runSwitch(client, sw_app, sw_slot, sw_weights);
  }
  if (reload->parsed()) return runReload(client);
  if (approve->parsed()) return runFailoverApprove(client, fo_app, fo_region);
  if (waf_test->parsed()) return runWafTest(waf_test_opts);
  if (waf_fmt->parsed()) return runWafFmt(waf_fmt_config, waf_fmt_expr);
  return 2;
}

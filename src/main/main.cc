// shipgate: edge gateway and release controller in one binary. This file only parses the command
// line (CLI11) and dispatches to the subcommands in commands.h.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>

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
  app.set_version_flag("--version", std::string("shipgate ") + kShipgateVersion);

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

  std::string nodes_config = defaultConfig();
  bool nodes_json = false;
  auto* nodes = app.add_subcommand("nodes", "List the nodes of a cluster (state on PostgreSQL)");
  nodes->add_option("-c,--config", nodes_config, "Config file")->capture_default_str();
  nodes->add_flag("--json", nodes_json, "Print JSON instead of a table");

  ClientOptions client{defaultConfig(), "", "", ""};
  auto add_client_opts = [&client](CLI::App* sub) {
    sub->add_option("-c,--config", client.config_path,
                    "Config file naming admin.address and admin.token_file")
        ->capture_default_str();
    sub->add_option("--admin", client.admin_url, "Admin API URL, e.g. http://127.0.0.1:9901");
    sub->add_option("--token-file", client.token_file, "File holding the admin bearer token");
    sub->add_option("--actor", client.actor,
                    "Who is asking, recorded in the audit log (default: $SHIPGATE_ACTOR, else "
                    "the login name)");
  };
  // --json, or the view of a following command.
  auto add_view = [](CLI::App* sub, bool& json, bool& tty, bool& lines) {
    sub->add_flag("--json", json, "One JSON object per event");
    sub->add_flag("--tty", tty, "Redraw the steps in place even when stdout is not a terminal");
    sub->add_flag("--lines", lines, "One line per event even on a terminal");
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

  // Releases. Exit statuses: 0 ok (deploy/rollback: live and healthy), 1 failed, rolled back or
  // refused, 2 usage, 3 rejected, 4 the admin API cannot be reached.
  DeployOptions deploy_opts;
  bool deploy_json = false, deploy_tty = false, deploy_lines = false;
  auto* deploy = app.add_subcommand(
      "deploy", "Deploy a release of a managed app and follow it until it is live (or not)");
  add_client_opts(deploy);
  deploy->add_option("--app", deploy_opts.app, "App name")->required();
  deploy->add_option("--version", deploy_opts.version, "Release version, e.g. v2")->required();
  deploy->add_option("--env", deploy_opts.env, "Environment (default: the app's)");
  deploy->add_option("--artifact", deploy_opts.artifact,
                     "Release directory or .tar.gz (static: the site's files)");
  auto* commit_opt = deploy->add_option("--commit", deploy_opts.commit_sha, "Commit SHA");
  deploy->add_option("--commit-time", deploy_opts.commit_time,
                     "Commit time: RFC 3339 (git show -s --format=%cI) or Unix seconds")
      ->needs(commit_opt);
  deploy->add_option("--reason", deploy_opts.reason, "Why (recorded)");
  deploy->add_flag("--override-gates", deploy_opts.override_gates,
                   "Deploy even when quality gates fail or miss a report (needs --reason; the "
                   "actor and reason are recorded)");
  deploy->add_flag("--no-wait", deploy_opts.no_wait, "Print the deployment id and return");
  deploy->add_option("--reconnect", deploy_opts.reconnect_seconds,
                     "Seconds to keep retrying a lost admin API while following")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  add_view(deploy, deploy_json, deploy_tty, deploy_lines);

  RollbackOptions rb_opts;
  bool rb_json = false, rb_tty = false, rb_lines = false;
  auto* rollback = app.add_subcommand(
      "rollback", "Roll an app back: to its previous release (or --to VERSION), or --emergency");
  add_client_opts(rollback);
  rollback->add_option("--app", rb_opts.app, "App name")->required();
  rollback->add_option("--reason", rb_opts.reason, "Why (recorded)")->required();
  rollback->add_option("--to", rb_opts.to, "The earlier version to deploy (standard rollback)");
  rollback->add_flag("--emergency", rb_opts.emergency,
                     "Flip to the warm previous slot now (or start the previous release "
                     "without approval and smoke checks)");
  rollback->add_flag("--with-migrations", rb_opts.with_migrations,
                     "Also roll back the database migrations the rolled-back release applied "
                     "(its down files, newest first) before the switch back");
  rollback->add_flag("--no-wait", rb_opts.no_wait, "Print the deployment id and return");
  rollback->add_option("--reconnect", rb_opts.reconnect_seconds,
                       "Seconds to keep retrying a lost admin API while following")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  add_view(rollback, rb_json, rb_tty, rb_lines);

  std::string approve_id;
  bool approve_json = false;
  auto* approve_dep = app.add_subcommand("approve", "Approve a deployment waiting for approval");
  add_client_opts(approve_dep);
  approve_dep->add_option("id", approve_id, "Deployment id, e.g. d-3")->required();
  approve_dep->add_flag("--json", approve_json, "Print the deployment as JSON");

  std::string reject_id, reject_reason;
  bool reject_json = false;
  auto* reject = app.add_subcommand("reject", "Reject a deployment before its switch");
  add_client_opts(reject);
  reject->add_option("id", reject_id, "Deployment id, e.g. d-3")->required();
  reject->add_option("--reason", reject_reason, "Why (recorded)")->required();
  reject->add_flag("--json", reject_json, "Print the deployment as JSON");

  std::string deps_app;
  int deps_limit = 20;
  bool deps_json = false;
  auto* deployments = app.add_subcommand("deployments", "List deployments, newest first");
  add_client_opts(deployments);
  deployments->add_option("--app", deps_app, "Only this app");
  deployments->add_option("--limit", deps_limit, "At most this many (1..1000)")
      ->capture_default_str();
  deployments->add_flag("--json", deps_json, "Print the raw JSON");

  std::string dep_id;
  bool dep_json = false;
  auto* deployment = app.add_subcommand(
      "deployment", "Show a deployment: every step with its timing, evidence and decision");
  add_client_opts(deployment);
  deployment->add_option("id", dep_id, "Deployment id, e.g. d-3")->required();
  deployment->add_flag("--json", dep_json, "Print the raw JSON");

  std::string rel_app;
  bool rel_json = false;
  auto* releases = app.add_subcommand("releases", "Show an app's slots and recorded releases");
  add_client_opts(releases);
  releases->add_option("--app", rel_app, "App name")->required();
  releases->add_flag("--json", rel_json, "Print the raw JSON");

  std::string inc_app;
  bool inc_open = false, inc_json = false;
  auto* incidents = app.add_subcommand("incidents", "List incidents (rollbacks, SLA breaches)");
  add_client_opts(incidents);
  incidents->add_option("--app", inc_app, "Only this app");
  incidents->add_flag("--open", inc_open, "Only unresolved incidents");
  incidents->add_flag("--json", inc_json, "Print the raw JSON");

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

  SecretsOptions secrets_opts;
  secrets_opts.config_path = defaultConfig();
  auto* secrets = addSecretsCommand(app, secrets_opts);
  DbOptions db_opts;
  auto* db = addDbCommand(app, db_opts);
  PolicyOptions policy_opts;
  auto* policy = addPolicyCommand(app, policy_opts);
  DoraCommandOptions dora_opts;
  dora_opts.config_path = defaultConfig();
  auto* dora = addDoraCommand(app, dora_opts);
  ReleaseCreateOptions release_opts;
  auto* release_create = addReleaseCommand(app, release_opts, add_client_opts);
  GateCheckOptions gate_opts;
  gate_opts.config_path = defaultConfig();
  auto* gate_check = addGateCommand(app, gate_opts);
  FlagsOptions flags_opts;
  flags_opts.config_path = defaultConfig();
  auto* flags_cmd = addFlagsCommand(app, flags_opts);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (serve->parsed()) return runServe(serve_opts);
  if (check->parsed()) return runCheck(check_config);
  if (health->parsed()) return runHealth(health_config, health_json);
  if (nodes->parsed()) return runNodes(nodes_config, nodes_json);
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
  auto view_of = [](bool json, bool tty, bool lines) -> std::optional<ViewMode> {
    if (json + tty + lines > 1) return std::nullopt;
    return json ? ViewMode::kJson : tty ? ViewMode::kTty : lines ? ViewMode::kLines : ViewMode::kAuto;
  };
  if (deploy->parsed()) {
    auto view = view_of(deploy_json, deploy_tty, deploy_lines);
    if (!view) {
      std::cerr << "shipgate deploy: give at most one of --json, --tty, --lines\n";
      return 2;
    }
    deploy_opts.view = *view;
    return runDeploy(client, deploy_opts);
  }
  if (rollback->parsed()) {
    auto view = view_of(rb_json, rb_tty, rb_lines);
    if (!view) {
      std::cerr << "shipgate rollback: give at most one of --json, --tty, --lines\n";
      return 2;
    }
    rb_opts.view = *view;
    return runRollback(client, rb_opts);
  }
  if (approve_dep->parsed()) return runApprove(client, approve_id, approve_json);
  if (reject->parsed()) return runReject(client, reject_id, reject_reason, reject_json);
  if (deployments->parsed()) return runDeployments(client, deps_app, deps_limit, deps_json);
  if (deployment->parsed()) return runDeployment(client, dep_id, dep_json);
  if (releases->parsed()) return runReleases(client, rel_app, rel_json);
  if (incidents->parsed()) return runIncidents(client, inc_app, inc_open, inc_json);
  if (waf_test->parsed()) return runWafTest(waf_test_opts);
  if (waf_fmt->parsed()) return runWafFmt(waf_fmt_config, waf_fmt_expr);
  if (secrets->parsed()) return runSecrets(secrets_opts);
  if (db->parsed()) return runDb(db_opts);
  if (policy->parsed()) return runPolicyCheck(policy_opts);
  if (dora->parsed()) return runDora(dora_opts);
  if (release_create->parsed()) return runReleaseCreate(client, release_opts);
  if (gate_check->parsed()) return runGateCheck(gate_opts);
  if (flags_cmd->parsed()) return runFlags(flags_opts);
  return 2;
}

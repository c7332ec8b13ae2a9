// `shipgate secrets ...`: the secrets store on the local state directory, for the operator.
// The config gives the state store (state.dir, or state.url for PostgreSQL) and the root key file
// (secrets.key_file).
// Values come in from stdin or --from-file only (never from an argument, which `ps` and shell
// history would show) and go out on stdout as raw bytes; neither is ever echoed anywhere else.
//
// Exit statuses: 0 done, 1 refused or failed (not found, CAS mismatch, tampering detected, a
// broken audit chain), 2 usage, config or key file errors.
#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.h"
#include "shipgate/common/clock.h"
#include "shipgate/config/loader.h"
#include "shipgate/release/release_config.h"
#include "shipgate/secrets/open_secrets_backend.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"

namespace shipgate::cli {
namespace {

using secrets::RootKey;
using secrets::SecretBytes;
using secrets::SecretsStore;

std::string actorOf(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("SHIPGATE_ACTOR"); env != nullptr && *env != '\0') return env;
  if (const struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "unknown";
}

// The whole of `fd` into guarded memory, refusing more than the store accepts.
Result<SecretBytes> readValue(int fd, const std::string& what) {
  SecretBytes buf(secrets::kMaxValueBytes + 1);
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::fromErrno(what, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > secrets::kMaxValueBytes) {
    return Status::invalidArgument(what + ": more than the " +
                                   std::to_string(secrets::kMaxValueBytes) +
                                   " bytes a value may have");
  }
  buf.shrink(got);
  return buf;
}

struct Opened {
  std::unique_ptr<SecretsStore> store;
  std::string key_file;
};

// Loads the config and opens the store; prints why not and returns null.
std::optional<Opened> openStore(const std::string& config_path) {
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  bool failed = loaded.config == nullptr;
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) std::cerr << d.toString() << "\n";
  }
  if (failed) return std::nullopt;
  auto settings = secrets::secretsConfigOf(*loaded.config);
  if (settings == nullptr) {
    std::cerr << config_path << ": no secrets: section (it names the root key file)\n";
    return std::nullopt;
  }
  Result<RootKey> root = RootKey::loadKeyFile(settings->key_file);
  if (!root.isOk()) {
    std::cerr << "shipgate secrets: " << root.status().message() << "\n";
    return std::nullopt;
  }
  const release::ReleaseConfig& release_cfg = release::releaseConfigOf(*loaded.config);
  auto backend = secrets::openSecretsBackend(release_cfg.state_dir, release_cfg.state_url);
  if (!backend.isOk()) {
    std::cerr << "shipgate secrets: " << backend.status().message() << "\n";
    return std::nullopt;
  }
  auto store = SecretsStore::open(std::move(backend).value(), *root, RealClock::instance());
  if (!store.isOk()) {
    std::cerr << "shipgate secrets: " << store.status().message() << "\n";
    return std::nullopt;
  }
  return Opened{std::move(store).value(), settings->key_file};
}

int fail(const Status& status) {
  std::cerr << "shipgate secrets: " << status.message() << "\n";
  return status.code() == Status::Code::kInvalidArgument ? 2 : 1;
}

std::string timeText(int64_t ms) {
  if (ms == 0) return "-";
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

CLI::App* addSecretsCommand(CLI::App& app, SecretsOptions& o) {
  auto* secrets = app.add_subcommand("secrets", "The encrypted secrets store (local state dir)");
  secrets->require_subcommand(1);
  secrets->add_option("-c,--config", o.config_path, "Config file (state.dir, secrets.key_file)")
      ->capture_default_str();
  secrets->add_option("--actor", o.actor,
                      "Who is asking (audited; default $SHIPGATE_ACTOR, "
                      "else the login name)");
  auto command = [&](const char* name, const char* what) {
    auto* c = secrets->add_subcommand(name, what);
    c->callback([&o, name] { o.command = name; });
    return c;
  };
  auto* init = command("init-key", "Write a new root key file (mode 0600, never overwritten)");
  init->add_option("file", o.file, "Key file to create")->required();
  auto* put = command("put", "Store a new version of PATH from stdin or --from-file");
  put->add_option("path", o.path, "Secret path, e.g. /app/prod/database/url")->required();
  put->add_option("--from-file", o.file, "Read the value from this file (default: stdin)");
  put->add_option("--cas", o.cas, "Only if the current version is N (0: only if absent)");
  auto* get = command("get", "Write a version's value to stdout (latest by default)");
  get->add_option("path", o.path, "Secret path")->required();
  auto* version_opt = get->add_option("--version", o.version, "Version number");
  get->add_option("--label", o.label, "Label")->excludes(version_opt);
  auto* list = command("list", "List paths under PREFIX (names and metadata, never values)");
  list->add_option("prefix", o.path, "Prefix, e.g. /app/prod/")->required();
  list->add_flag("-r,--recursive", o.recursive, "Everything below, not only direct children");
  list->add_flag("--deleted", o.deleted, "Include soft-deleted paths");
  auto* history = command("history", "Every version of PATH with its labels");
  history->add_option("path", o.path, "Secret path")->required();
  auto* rm = command("rm", "Soft-delete PATH (undelete restores it)");
  rm->add_option("path", o.path, "Secret path")->required();
  auto* undelete = command("undelete", "Restore a soft-deleted PATH");
  undelete->add_option("path", o.path, "Secret path")->required();
  auto* destroy = command("destroy", "Erase one version's value for good");
  destroy->add_option("path", o.path, "Secret path")->required();
  destroy->add_option("--version", o.version, "Version number")->required();
  auto* label = command("label", "Pin LABEL to VERSION of PATH (moving it if it pinned another)");
  label->add_option("path", o.path, "Secret path")->required();
  label->add_option("version", o.version, "Version number")->required();
  label->add_option("label", o.label, "Label, e.g. stable")->required();
  auto* rotate = command("rotate-key", "Re-wrap the data keys under a new root key file");
  rotate->add_option("--new-key-file", o.file, "The new root key (see init-key)")->required();
  auto* audit = command("audit", "Check the audit log's hash chain");
  audit->add_flag("--verify", o.verify, "Verify the chain and name the first broken entry")
      ->required();
  return secrets;
}

int runSecrets(const SecretsOptions& o) {
  if (o.command == "init-key") {
    Status s = RootKey::writeKeyFile(o.file);
    if (!s.isOk()) return fail(s);
    std::cout << "wrote " << o.file << " (id " << RootKey::loadKeyFile(o.file)->id() << ")\n";
    return 0;
  }
  std::optional<Opened> opened = openStore(o.config_path);
  if (!opened) return 2;
  SecretsStore& store = *opened->store;
  const std::string actor = actorOf(o.actor);
  if (o.command == "put") {
    int fd = STDIN_FILENO;
    if (!o.file.empty()) {
      fd = ::open(o.file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return fail(Status::fromErrno("--from-file " + o.file, errno));
    }
    Result<SecretBytes> value = readValue(fd, o.file.empty() ? "stdin" : o.file);
    if (fd != STDIN_FILENO) ::close(fd);
    if (!value.isOk()) return fail(value.status());
    Result<int64_t> v = store.put(actor, o.path, *value, o.cas);
    if (!v.isOk()) return fail(v.status());
    std::cout << o.path << " version " << *v << "\n";
    return 0;
  }
  if (o.command == "get") {
    secrets::Selector which;
    which.version = o.version;
    if (!o.label.empty()) which.label = o.label;
    Result<SecretBytes> v = store.get(actor, o.path, which);
    if (!v.isOk()) return fail(v.status());
    // Straight to the descriptor: no stdio buffer keeps a copy of the value.
    size_t done = 0;
    while (done < v->size()) {
      const ssize_t n = ::write(STDOUT_FILENO, v->data() + done, v->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Status::fromErrno("stdout", errno));
      done += static_cast<size_t>(n);
    }
    return 0;
  }
  if (o.command == "list") {
    auto rows = store.list(actor, o.path, o.recursive, o.deleted);
    if (!rows.isOk()) return fail(rows.status());
    for (const auto& m : *rows) {
      std::cout << m.path << "\tv" << m.current_version << "\tupdated " << timeText(m.updated_at)
                << (m.deleted_at != 0 ? "\tdeleted " + timeText(m.deleted_at) : "") << "\n";
    }
    return 0;
  }
  if (o.command == "history") {
    auto rows = store.history(actor, o.path);
    if (!rows.isOk()) return fail(rows.status());
    for (const auto& v : *rows) {
      std::cout << "v" << v.version << "\t" << timeText(v.created_at) << "\t" << v.created_by
                << (v.destroyed_at != 0 ? "\tdestroyed " + timeText(v.destroyed_at) : "");
      for (const auto& l : v.labels) std::cout << "\t" << l;
      std::cout << "\n";
    }
    return 0;
  }
  Status status;
  if (o.command == "rm") {
    status = store.remove(actor, o.path);
  } else if (o.command == "undelete") {
    status = store.undelete(actor, o.path);
  } else if (o.command == "destroy") {
    status = store.destroy(actor, o.path, o.version.value_or(0));
  } else if (o.command == "label") {
    status = store.label(actor, o.path, o.version.value_or(0), o.label);
  } else if (o.command == "rotate-key") {
    Result<RootKey> next = RootKey::loadKeyFile(o.file);
    if (!next.isOk()) return fail(next.status());
    const std::string old_id = store.rootKeyId();
    status = store.rotateRootKey(actor, *next);
    if (status.isOk()) {
      std::cout << "root key rotated: " << old_id << " -> " << next->id()
                << "; set secrets.key_file "
                << "to " << o.file << " (the old key no longer opens the store)\n";
    }
  } else if (o.command == "audit") {
    Result<secrets::AuditVerification> v = store.verifyAudit();
    if (!v.isOk()) return fail(v.status());
    if (!v->ok()) {
      std::cout << "audit chain broken: " << v->problem << "\n";
      return 1;
    }
    std::cout << "audit chain intact: " << v->entries << " entries\n";
    return 0;
  }
  if (!status.isOk()) return fail(status);
  return 0;
}

}  // namespace shipgate::cli

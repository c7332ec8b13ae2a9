#include "shipgate/secrets/secrets_store.h"

#include <algorithm>

#include "shipgate/secrets/sealed_record.h"
#include "shipgate/secrets/secret_path.h"

namespace shipgate::secrets {
namespace {

constexpr std::string_view kMetaRootKeyId = "root_key_id";
constexpr std::string_view kMetaKdf = "kdf";
constexpr std::string_view kMetaAuditHead = "audit_head";
constexpr std::string_view kPurposeValue = "value";
constexpr std::string_view kPurposeAudit = "audit";
constexpr size_t kDataKeySize = 32;
constexpr size_t kMaxLabel = 64;
// What of a caller's text an audit entry keeps: a path is at most SecretPath::kMaxLength, so
// only an invalid one is cut.
constexpr size_t kMaxAuditText = SecretPath::kMaxLength + 16;

std::string codeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kIoError:
      return "io_error";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kTimeout:
      return "timeout";
    case Status::Code::kInternal:
      return "internal";
    case Status::Code::kPermissionDenied:
      return "permission_denied";
    case Status::Code::kAlreadyExists:
      return "already_exists";
    case Status::Code::kFailedPrecondition:
      return "failed_precondition";
  }
  return "unknown";
}

Status withMessage(const Status& s, const std::string& message) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return Status::invalidArgument(message);
    case Status::Code::kNotFound:
      return Status::notFound(message);
    case Status::Code::kIoError:
      return Status::ioError(message);
    case Status::Code::kUnavailable:
      return Status::unavailable(message);
    case Status::Code::kTimeout:
      return Status::timeout(message);
    case Status::Code::kPermissionDenied:
      return Status::permissionDenied(message);
    case Status::Code::kAlreadyExists:
      return Status::alreadyExists(message);
    case Status::Code::kFailedPrecondition:
      return Status::failedPrecondition(message);
    default:
      return Status::internal(message);
  }
}

Status checkLabel(const std::string& label) {
  const std::string what = "label \"" + label.substr(0, kMaxLabel) + "\"";
  if (label.empty()) return Status::invalidArgument("label: empty");
  if (label.size() > kMaxLabel) {
    return Status::invalidArgument(what + ": more than " + std::to_string(kMaxLabel) +
                                   " characters");
  }
  bool digits_only = true;
  for (size_t i = 0; i < label.size(); ++i) {
    const char c = label[i];
    const bool digit = c >= '0' && c <= '9';
    digits_only = digits_only && digit;
    if (!(digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
          c == '.')) {
      return Status::invalidArgument(what + ": character " + std::to_string(i + 1) +
                                     " is not a letter, digit, _, - or .");
    }
  }
  // A label of digits would read like a version number.
  if (digits_only) return Status::invalidArgument(what + ": only digits (that is a version)");
  return Status::success();
}

Result<PathRow> requirePath(SecretsBackend& backend, const SecretPath& path, bool live) {
  Result<std::optional<PathRow>> row = backend.findPath(path.str());
  if (!row.isOk()) return row.status();
  if (!row->has_value()) return Status::notFound("no secret at " + path.str());
  if (live && (*row)->deleted_at != 0) {
    return Status::notFound(path.str() + " is deleted (undelete restores it)");
  }
  return **row;
}

std::string versionName(const std::string& path, int64_t version) {
  return path + " version " + std::to_string(version);
}

}  // namespace

SecretsStore::SecretsStore(Key, State state, const Clock& clock)
    : clock_(clock), state_(std::move(state)) {}

Result<std::string> SecretsStore::recordedKdf(SecretsBackend& backend) {
  Result<std::optional<std::string>> kdf = backend.getMeta(std::string(kMetaKdf));
  if (!kdf.isOk()) return kdf.status();
  return kdf->value_or("");
}

Result<std::unique_ptr<SecretsStore>> SecretsStore::open(std::unique_ptr<SecretsBackend> backend,
                                                         const RootKey& root, const Clock& clock) {
  SG_RETURN_IF_ERROR(sodiumReady());
  State s;
  s.backend = std::move(backend);
  s.root_id = root.id();
  SecretsBackend& b = *s.backend;
  Status status = b.atomically([&]() -> Status {
    Result<std::optional<std::string>> recorded = b.getMeta(std::string(kMetaRootKeyId));
    if (!recorded.isOk()) return recorded.status();
    if (!recorded->has_value()) {
      // A new store: one value key and the audit key, wrapped by this root key.
      const int64_t now = clock.wallMillis();
      const std::pair<uint32_t, std::string_view> keys[] = {{1, kPurposeValue}, {2, kPurposeAudit}};
      for (const auto& [id, purpose] : keys) {
        SecretBytes key = SecretBytes::random(kDataKeySize);
        KeyRow row{id, std::string(purpose),
                   seal(root.bytes(), id, wrapAd(id, purpose, root.id()), key).encode(), root.id(),
                   now};
        SG_RETURN_IF_ERROR(b.insertKey(row));
      }
      SG_RETURN_IF_ERROR(b.putMeta(std::string(kMetaRootKeyId), root.id()));
      SG_RETURN_IF_ERROR(b.putMeta(std::string(kMetaKdf), root.kdf()));
      SG_RETURN_IF_ERROR(b.putMeta(std::string(kMetaAuditHead), ""));
    } else if (**recorded != root.id()) {
      return Status::permissionDenied("secrets store: the root key (id " + root.id() +
                                      ") is not the store's (id " + **recorded +
                                      "): use the key it was created with or last rotated to");
    }
    Result<std::vector<KeyRow>> rows = b.listKeys();
    if (!rows.isOk()) return rows.status();
    for (const KeyRow& row : *rows) {
      const std::string what = "secrets store: data key " + std::to_string(row.id);
      Result<SealedRecord> record = SealedRecord::decode(row.wrapped);
      if (!record.isOk()) {
        return Status::internal(what + ": " + record.status().message() + " (tampered with?)");
      }
      if (record->key_id != row.id) {
        return Status::internal(what + ": its record names key " + std::to_string(record->key_id) +
                                " (tampered with?)");
      }
      Result<SecretBytes> key =
          secrets::open(root.bytes(), *record, wrapAd(row.id, row.purpose, root.id()), what);
      if (!key.isOk()) return key.status();
      if (row.purpose == kPurposeAudit) {
        s.audit_key_id = row.id;
        s.audit_key = std::move(key).value();
      } else {
        s.current_key = std::max(s.current_key, row.id);
        s.value_keys.emplace(row.id, std::move(key).value());
      }
    }
    if (s.value_keys.empty() || s.audit_key.empty()) {
      return Status::internal(
          "secrets store: its value key or audit key is missing (tampered "
          "with?)");
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return std::make_unique<SecretsStore>(Key{}, std::move(s), clock);
}

Status SecretsStore::audit(State& s, const std::string& actor, std::string_view action,
                           std::string_view path, int64_t version, const Status& outcome) {
  Result<std::optional<std::string>> head = s.backend->getMeta(std::string(kMetaAuditHead));
  if (!head.isOk()) return head.status();
  AuditRow row;
  int64_t head_seq = 0;
  if (!parseAuditHead(head->value_or(""), head_seq, row.prev_hash)) {
    return Status::internal(
        "secrets audit log: the recorded newest entry is unreadable "
        "(tampered with?); run `shipgate secrets audit --verify`");
  }
  row.seq = head_seq + 1;
  row.at = clock_.wallMillis();
  row.actor = actor.substr(0, kMaxAuditText);
  row.action = std::string(action);
  row.path = std::string(path.substr(0, kMaxAuditText));
  row.version = version;
  row.outcome = outcome.isOk() ? "ok"
                               : codeName(outcome.code()) + ": " +
                                     outcome.message().substr(0, 4 * kMaxAuditText);
  row.hash = auditHash(s.audit_key, row);
  SG_RETURN_IF_ERROR(s.backend->appendAudit(row));
  return s.backend->putMeta(std::string(kMetaAuditHead), auditHeadText(row.seq, row.hash));
}

Status SecretsStore::audited(State& s, const std::string& actor, std::string_view action,
                             std::string_view path, int64_t& version,
                             const std::function<Status(State&)>& body) {
  bool body_ok = false;
  Status status = s.backend->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(body(s));
    body_ok = true;
    return audit(s, actor, action, path, version, Status::success());
  });
  if (status.isOk()) return status;
  if (body_ok) {
    // The body's effect was undone with the entry; nothing happened that needs recording.
    return withMessage(status,
                       "secrets: " + std::string(action) +
                           " refused: its audit entry cannot be written: " + status.message());
  }
  Status logged = s.backend->atomically(
      [&]() -> Status { return audit(s, actor, action, path, version, status); });
  if (!logged.isOk()) {
    return withMessage(status, status.message() + " (and its audit entry cannot be written: " +
                                   logged.message() + ")");
  }
  return status;
}

Result<int64_t> SecretsStore::put(const std::string& actor, const std::string& path_text,
                                  const SecretBytes& value, std::optional<int64_t> cas) {
  MutexLock lock(mu_);
  int64_t version = 0;
  Status status = audited(state_, actor, "put", path_text, version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    if (value.size() > kMaxValueBytes) {
      return Status::invalidArgument("value for " + path->str() + ": " +
                                     std::to_string(value.size()) + " bytes, more than the " +
                                     std::to_string(kMaxValueBytes) + " allowed");
    }
    Result<std::optional<PathRow>> found = s.backend->findPath(path->str());
    if (!found.isOk()) return found.status();
    const int64_t now = clock_.wallMillis();
    PathRow row = found->value_or(PathRow{path->str(), 0, now, now, 0});
    if (cas && *cas != row.current_version) {
      return Status::failedPrecondition(
          "check-and-set: " + path->str() + " is at version " +
          std::to_string(row.current_version) + ", not " + std::to_string(*cas) +
          (row.current_version == 0 ? " (it has no version yet: use --cas 0)" : ""));
    }
    version = row.current_version + 1;
    const uint32_t key_id = s.current_key;
    VersionRow v{path->str(),
                 version,
                 seal(s.value_keys.at(key_id), key_id, valueAd(path->str(), version, key_id), value)
                     .encode(),
                 now,
                 actor,
                 0};
    row.current_version = version;
    row.updated_at = now;
    row.deleted_at = 0;
    SG_RETURN_IF_ERROR(s.backend->upsertPath(row));
    return s.backend->insertVersion(v);
  });
  if (!status.isOk()) return status;
  return version;
}

Result<SecretBytes> SecretsStore::get(const std::string& actor, const std::string& path_text,
                                      const Selector& which) {
  MutexLock lock(mu_);
  int64_t version = 0;
  SecretBytes value;
  Status status = audited(state_, actor, "get", path_text, version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    if (which.version && which.label) {
      return Status::invalidArgument("get " + path->str() +
                                     ": give a version or a label, not both");
    }
    Result<PathRow> row = requirePath(*s.backend, *path, true);
    if (!row.isOk()) return row.status();
    version = row->current_version;
    if (which.version) {
      version = *which.version;
    } else if (which.label) {
      Result<std::optional<LabelRow>> label = s.backend->findLabel(path->str(), *which.label);
      if (!label.isOk()) return label.status();
      if (!label->has_value()) {
        return Status::notFound(path->str() + " has no label \"" +
                                which.label->substr(0, kMaxLabel) + "\"");
      }
      version = (*label)->version;
    }
    const std::string what = versionName(path->str(), version);
    Result<std::optional<VersionRow>> v = s.backend->findVersion(path->str(), version);
    if (!v.isOk()) return v.status();
    if (!v->has_value())
      return Status::notFound(path->str() + " has no version " + std::to_string(version));
    if (!(*v)->sealed) return Status::notFound(what + " was destroyed");
    Result<SealedRecord> record = SealedRecord::decode(*(*v)->sealed);
    if (!record.isOk()) {
      return Status::internal(what + ": the stored " + record.status().message() +
                              " (tampered with?)");
    }
    auto key = s.value_keys.find(record->key_id);
    if (key == s.value_keys.end()) {
      return Status::internal(what + ": sealed with data key " + std::to_string(record->key_id) +
                              ", which the store does not have (tampered with?)");
    }
    Result<SecretBytes> opened =
        secrets::open(key->second, *record, valueAd(path->str(), version, record->key_id), what);
    if (!opened.isOk()) return opened.status();
    value = std::move(opened).value();
    return Status::success();
  });
  // The value leaves only with its audit entry committed.
  if (!status.isOk()) return status;
  return value;
}

Result<std::vector<SecretMetadata>> SecretsStore::list(const std::string& actor,
                                                       const std::string& prefix_text,
                                                       bool recursive, bool include_deleted) {
  MutexLock lock(mu_);
  int64_t version = 0;
  std::vector<SecretMetadata> out;
  Status status = audited(state_, actor, "list", prefix_text, version, [&](State& s) -> Status {
    Result<SecretPath> prefix = SecretPath::parsePrefix(prefix_text);
    if (!prefix.isOk()) return prefix.status();
    Result<std::vector<PathRow>> rows = s.backend->pathsUnder(prefix->str());
    if (!rows.isOk()) return rows.status();
    for (const PathRow& row : *rows) {
      const size_t depth = static_cast<size_t>(std::count(row.path.begin(), row.path.end(), '/'));
      if (row.path == prefix->str()) continue;  // the children of a path, not itself
      if (!recursive && depth != prefix->depth() + 1) continue;
      if (!include_deleted && row.deleted_at != 0) continue;
      out.push_back(
          {row.path, row.current_version, row.created_at, row.updated_at, row.deleted_at});
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::optional<SecretMetadata>> SecretsStore::peekMetadata(const std::string& path_text) {
  Result<SecretPath> path = SecretPath::parse(path_text);
  if (!path.isOk()) return path.status();
  MutexLock lock(mu_);
  Result<std::optional<PathRow>> row = state_.backend->findPath(path->str());
  if (!row.isOk()) return row.status();
  if (!row->has_value()) return std::optional<SecretMetadata>();
  const PathRow& r = **row;
  return std::optional<SecretMetadata>(
      SecretMetadata{r.path, r.current_version, r.created_at, r.updated_at, r.deleted_at});
}

Result<std::vector<VersionMetadata>> SecretsStore::history(const std::string& actor,
                                                           const std::string& path_text) {
  MutexLock lock(mu_);
  int64_t version = 0;
  std::vector<VersionMetadata> out;
  Status status = audited(state_, actor, "history", path_text, version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    Result<PathRow> row = requirePath(*s.backend, *path, false);
    if (!row.isOk()) return row.status();
    Result<std::vector<VersionRow>> versions = s.backend->versionsOf(path->str());
    if (!versions.isOk()) return versions.status();
    Result<std::vector<LabelRow>> labels = s.backend->labelsOf(path->str());
    if (!labels.isOk()) return labels.status();
    for (const VersionRow& v : *versions) {
      VersionMetadata m{v.version, v.created_at, v.created_by, v.destroyed_at, {}};
      for (const LabelRow& l : *labels) {
        if (l.version == v.version) m.labels.push_back(l.label);
      }
      out.push_back(std::move(m));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SecretsStore::remove(const std::string& actor, const std::string& path_text) {
  MutexLock lock(mu_);
  int64_t version = 0;
  return audited(state_, actor, "rm", path_text, version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    Result<PathRow> row = requirePath(*s.backend, *path, false);
    if (!row.isOk()) return row.status();
    version = row->current_version;
    if (row->deleted_at != 0) return Status::success();  // already deleted: nothing to change
    row->deleted_at = clock_.wallMillis();
    row->updated_at = row->deleted_at;
    return s.backend->upsertPath(*row);
  });
}

Status SecretsStore::undelete(const std::string& actor, const std::string& path_text) {
  MutexLock lock(mu_);
  int64_t version = 0;
  return audited(state_, actor, "undelete", path_text, version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    Result<PathRow> row = requirePath(*s.backend, *path, false);
    if (!row.isOk()) return row.status();
    version = row->current_version;
    if (row->deleted_at == 0) return Status::success();
    row->deleted_at = 0;
    row->updated_at = clock_.wallMillis();
    return s.backend->upsertPath(*row);
  });
}

Status SecretsStore::destroy(const std::string& actor, const std::string& path_text,
                             int64_t version) {
  MutexLock lock(mu_);
  int64_t audited_version = version;
  return audited(state_, actor, "destroy", path_text, audited_version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    Result<PathRow> row = requirePath(*s.backend, *path, false);
    if (!row.isOk()) return row.status();
    Result<std::optional<VersionRow>> v = s.backend->findVersion(path->str(), version);
    if (!v.isOk()) return v.status();
    if (!v->has_value()) {
      return Status::notFound(path->str() + " has no version " + std::to_string(version));
    }
    if (!(*v)->sealed) return Status::success();  // already destroyed
    return s.backend->destroyVersion(path->str(), version, clock_.wallMillis());
  });
}

Status SecretsStore::label(const std::string& actor, const std::string& path_text, int64_t version,
                           const std::string& label) {
  MutexLock lock(mu_);
  int64_t audited_version = version;
  return audited(state_, actor, "label", path_text, audited_version, [&](State& s) -> Status {
    Result<SecretPath> path = SecretPath::parse(path_text);
    if (!path.isOk()) return path.status();
    SG_RETURN_IF_ERROR(checkLabel(label));
    Result<PathRow> row = requirePath(*s.backend, *path, true);
    if (!row.isOk()) return row.status();
    Result<std::optional<VersionRow>> v = s.backend->findVersion(path->str(), version);
    if (!v.isOk()) return v.status();
    if (!v->has_value()) {
      return Status::notFound(path->str() + " has no version " + std::to_string(version));
    }
    if (!(*v)->sealed) {
      return Status::failedPrecondition(versionName(path->str(), version) +
                                        " was destroyed: a label cannot pin it");
    }
    return s.backend->putLabel({path->str(), label, version, clock_.wallMillis()});
  });
}

Status SecretsStore::rotateRootKey(const std::string& actor, const RootKey& new_root) {
  MutexLock lock(mu_);
  int64_t version = 0;
  Status status = audited(state_, actor, "rotate-key", "", version, [&](State& s) -> Status {
    if (new_root.id() == s.root_id) {
      return Status::failedPrecondition("rotate-key: the new root key (id " + new_root.id() +
                                        ") is the current one");
    }
    Result<std::vector<KeyRow>> rows = s.backend->listKeys();
    if (!rows.isOk()) return rows.status();
    for (const KeyRow& row : *rows) {
      const SecretBytes* key = nullptr;
      if (row.id == s.audit_key_id) {
        key = &s.audit_key;
      } else if (auto it = s.value_keys.find(row.id); it != s.value_keys.end()) {
        key = &it->second;
      }
      if (key == nullptr) {
        return Status::internal("rotate-key: data key " + std::to_string(row.id) +
                                " appeared after the store was opened; nothing was changed");
      }
      SG_RETURN_IF_ERROR(s.backend->rewrapKey(
          row.id,
          seal(new_root.bytes(), row.id, wrapAd(row.id, row.purpose, new_root.id()), *key).encode(),
          new_root.id()));
    }
    SG_RETURN_IF_ERROR(s.backend->putMeta(std::string(kMetaRootKeyId), new_root.id()));
    return s.backend->putMeta(std::string(kMetaKdf), new_root.kdf());
  });
  if (status.isOk()) state_.root_id = new_root.id();
  return status;
}

Result<AuditVerification> SecretsStore::verifyAudit() {
  MutexLock lock(mu_);
  SecretsBackend& backend = *state_.backend;
  std::vector<AuditRow> rows;
  std::string head;
  // One transaction: the rows and the recorded head are read as of the same moment.
  Status status = backend.atomically([&]() -> Status {
    Result<std::vector<AuditRow>> listed = backend.listAudit();
    if (!listed.isOk()) return listed.status();
    Result<std::optional<std::string>> recorded = backend.getMeta(std::string(kMetaAuditHead));
    if (!recorded.isOk()) return recorded.status();
    rows = std::move(listed).value();
    head = recorded->value_or("");
    return Status::success();
  });
  if (!status.isOk()) return status;
  return verifyChain(state_.audit_key, rows, head);
}

std::string SecretsStore::rootKeyId() {
  MutexLock lock(mu_);
  return state_.root_id;
}

}  // namespace shipgate::secrets

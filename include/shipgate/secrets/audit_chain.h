// The secrets audit chain: each entry's hash is a keyed BLAKE2b-256 (crypto_generichash, keyed
// with the store's audit key) over the previous entry's hash and the entry's own fields, its
// sequence number included. Without the audit key nobody can write a chain that verifies, so an
// edited file is detected even when the editor recomputes hashes. The store also records the
// newest entry (seq and hash) in its metadata in the same transaction as the entry, and chains a
// new entry onto that head (not onto the newest row found), which makes the removal of the last
// entries detectable.
//
// verifyChain reports the first broken entry by sequence number:
//   changed    an entry's hash does not match its fields
//   removed    the sequence jumps (an entry is missing), or the chain ends before the recorded head
//   reordered  an entry's prev_hash is not the hash of the entry before it
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/secrets/secret_bytes.h"
#include "shipgate/secrets/secrets_backend.h"

namespace shipgate::secrets {

struct AuditVerification {
  int64_t entries = 0;       // entries read
  int64_t first_broken = 0;  // seq of the first broken entry; 0 when the chain is intact
  std::string problem;       // what is wrong with it, for the operator
  bool ok() const { return first_broken == 0; }
};

// The hash (raw bytes) of `row` chained after `row.prev_hash`, keyed with `key`.
std::string auditHash(const SecretBytes& key, const AuditRow& row);

// The recorded head: "<seq>:<hex hash>" (empty for none).
std::string auditHeadText(int64_t seq, const std::string& hash);

// Reads a head written by auditHeadText; false when `text` is not one ("" reads as seq 0).
bool parseAuditHead(std::string_view text, int64_t& seq, std::string& hash);

// Checks `rows` (in seq order as stored) against `head_text`.
AuditVerification verifyChain(const SecretBytes& key, const std::vector<AuditRow>& rows,
                              const std::string& head_text);

}  // namespace shipgate::secrets

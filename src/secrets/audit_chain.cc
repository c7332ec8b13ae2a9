#include "shipgate/secrets/audit_chain.h"

#include <sodium.h>

#include <charconv>

namespace shipgate::secrets {
namespace {

constexpr size_t kHashBytes = 32;

// Length-prefixed fields: no choice of field contents can make two entries hash the same input.
void addField(crypto_generichash_state& st, std::string_view field) {
  unsigned char len[8];
  uint64_t n = field.size();
  for (int i = 7; i >= 0; --i, n >>= 8) len[i] = static_cast<unsigned char>(n & 0xff);
  crypto_generichash_update(&st, len, sizeof len);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(field.data()),
                            field.size());
}

std::string toHex(const std::string& bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

}  // namespace

std::string auditHash(const SecretBytes& key, const AuditRow& row) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key.data(), key.size(), kHashBytes);
  addField(st, "shipgate-secrets-audit-v1");
  addField(st, row.prev_hash);
  addField(st, std::to_string(row.seq));
  addField(st, std::to_string(row.at));
  addField(st, row.actor);
  addField(st, row.action);
  addField(st, row.path);
  addField(st, std::to_string(row.version));
  addField(st, row.outcome);
  std::string out(kHashBytes, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

std::string auditHeadText(int64_t seq, const std::string& hash) {
  return std::to_string(seq) + ":" + toHex(hash);
}

bool parseAuditHead(std::string_view text, int64_t& seq, std::string& hash) {
  seq = 0;
  hash.clear();
  if (text.empty()) return true;
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + colon, seq);
  if (ec != std::errc() || ptr != text.data() + colon || seq < 1) return false;
  const std::string_view hex = text.substr(colon + 1);
  if (hex.size() != kHashBytes * 2) return false;
  hash.resize(kHashBytes);
  size_t len = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(hash.data()), hash.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != kHashBytes) {
    hash.clear();
    return false;
  }
  return true;
}

AuditVerification verifyChain(const SecretBytes& key, const std::vector<AuditRow>& rows,
                              const std::string& head_text) {
  AuditVerification out;
  auto broken = [&](int64_t seq, std::string problem) {
    out.first_broken = seq;
    out.problem = "audit entry " + std::to_string(seq) + ": " + std::move(problem);
    return out;
  };
  std::string prev_hash;
  int64_t prev_seq = 0;
  for (const AuditRow& row : rows) {
    ++out.entries;
    if (row.seq != prev_seq + 1) {
      // The chain breaks at the first entry that should be there and is not.
      return broken(prev_seq + 1,
                    row.seq > prev_seq + 1
                        ? "missing (removed): entry " + std::to_string(prev_seq) +
                              " is followed by entry " + std::to_string(row.seq)
                        : "out of order: found after entry " + std::to_string(prev_seq));
    }
    if (auditHash(key, row) != row.hash) {
      return broken(row.seq, "its hash does not match its contents (changed)");
    }
    if (row.prev_hash != prev_hash) {
      return broken(row.seq, "does not follow entry " + std::to_string(prev_seq) +
                                 " (reordered, or an entry before it was replaced)");
    }
    prev_hash = row.hash;
    prev_seq = row.seq;
  }
  int64_t head_seq = 0;
  std::string head_hash;
  if (!parseAuditHead(head_text, head_seq, head_hash)) {
    out.first_broken = prev_seq + 1;
    out.problem = "the record of the newest audit entry is unreadable (changed)";
    return out;
  }
  if (head_seq > prev_seq) {
    return broken(prev_seq + 1,
                  "missing (removed): the chain ends at entry " + std::to_string(prev_seq) +
                      " but the newest recorded entry is " + std::to_string(head_seq));
  }
  if (head_seq < prev_seq) {
    return broken(head_seq + 1,
                  "written after the newest recorded entry (added outside the "
                  "store)");
  }
  if (head_hash != prev_hash) {
    return broken(prev_seq, "its hash is not the one recorded as the newest entry (changed)");
  }
  return out;
}

}  // namespace shipgate::secrets

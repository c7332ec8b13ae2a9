// Fuzzes the secrets readers of stored or operator bytes. The first byte picks the reader:
//   'k'  a root key file's contents (RootKey::parseKeyFile)
//   'p'  passphrase parameters text (KdfParams::parse)
//   'h'  an audit head (parseAuditHead)
//   else a sealed record (SealedRecord::decode), then opened under a fixed key
// Invariants: an accepted key file is a 32-byte key whose hex form reads back as the same key,
// and a refusal's message is one of the parser's fixed sentences (it quotes no key material);
// accepted parameters and heads print to text that reads back the same; an accepted record
// re-encodes to the input, and no record authenticates under a key it was not sealed with (a
// forgery would need to break Poly1305).
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/secrets/audit_chain.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/sealed_record.h"

namespace {

using namespace shipgate::secrets;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  fprintf(stderr, "secret_key_file_fuzz invariant violated: %s\ninput size: %zu\n", what,
          input.size());
  abort();
}

void keyFile(std::string_view input) {
  shipgate::Result<RootKey> key = RootKey::parseKeyFile(input);
  if (!key.isOk()) {
    // The message is one of the parser's fixed sentences (numbers aside): it quotes nothing of
    // the input, which may be key material.
    std::string shape;
    for (char c : key.status().message()) {
      if (c >= '0' && c <= '9') {
        if (shape.empty() || shape.back() != 'N') shape += 'N';
      } else {
        shape += c;
      }
    }
    static const std::string_view kShapes[] = {
        "line N: expected the header \"shipgate-secrets-root-key vN\" (not a shipgate secrets "
        "key file)",
        "line N: missing (the key's N hex digits)",
        "line N: unexpected content after the key line",
        "line N: expected N hex digits, found N characters",
        "line N: column N is not a hex digit",
    };
    bool known = false;
    for (std::string_view k : kShapes) known = known || shape == k;
    check(known, "a refusal is one of the fixed messages", input);
    return;
  }
  check(key->bytes().size() == RootKey::kSize, "a key is 32 bytes", input);
  check(key->id().size() == 16, "a key id is 16 hex digits", input);
  char hex[RootKey::kSize * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, key->bytes().data(), key->bytes().size());
  const std::string text = std::string(kKeyFileHeader) + "\n" + hex + "\n";
  shipgate::Result<RootKey> again = RootKey::parseKeyFile(text);
  check(again.isOk() && again->id() == key->id() && again->bytes().equals(key->bytes()),
        "the key's canonical file reads back as the same key", input);
  sodium_memzero(hex, sizeof hex);
}

void kdfParams(std::string_view input) {
  shipgate::Result<KdfParams> p = KdfParams::parse(input);
  if (!p.isOk()) {
    check(!p.status().message().empty(), "a refusal has a message", input);
    return;
  }
  shipgate::Result<KdfParams> again = KdfParams::parse(p->toText());
  check(again.isOk() && again->opslimit == p->opslimit && again->memlimit == p->memlimit &&
            again->salt == p->salt,
        "parameters print to text that reads back the same", input);
}

void auditHead(std::string_view input) {
  int64_t seq = 0;
  std::string hash;
  if (!parseAuditHead(input, seq, hash)) return;
  if (input.empty()) return;
  int64_t seq2 = 0;
  std::string hash2;
  check(parseAuditHead(auditHeadText(seq, hash), seq2, hash2) && seq2 == seq && hash2 == hash,
        "a head prints to text that reads back the same", input);
}

void sealedRecord(std::string_view input) {
  shipgate::Result<SealedRecord> r = SealedRecord::decode(input);
  if (!r.isOk()) {
    check(!r.status().message().empty(), "a refusal has a message", input);
    return;
  }
  check(r->encode() == input, "a record re-encodes to its bytes", input);
  static const SecretBytes kKey = SecretBytes::copyOf(std::string(32, 'k'));
  check(!open(kKey, *r, valueAd("/fuzz", 1, r->key_id), "fuzz").isOk(),
        "no forged record authenticates", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (sodiumReady().isOk() == false) abort();
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const char mode = all.empty() ? 's' : all[0];
  const std::string_view input = all.empty() ? all : all.substr(1);
  switch (mode) {
    case 'k':
      keyFile(input);
      break;
    case 'p':
      kdfParams(input);
      break;
    case 'h':
      auditHead(input);
      break;
    default:
      sealedRecord(all);
      break;
  }
  return 0;
}

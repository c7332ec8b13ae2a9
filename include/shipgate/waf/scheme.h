// Scheme: the typed fields a rule may name. Scheme::http() registers Cloudflare's field names
// (see scheme.cc for the full list and each field's meaning); hosts may add fields of their own.
// A Scheme is immutable once built and safe to share between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/waf/value.h"

namespace shipgate::waf {

class EvalContext;

// Computes a field's value for the request bound to the context. Called at most once per field
// per evaluation (the context caches the result).
using FieldGetter = Value (*)(EvalContext& ctx);

struct FieldDef {
  std::string name;
  Type type;
  FieldGetter get = nullptr;
  // Whether opt-in normalisers (url_decode, lower, ...) apply to this field. False for raw.*,
  // http.request.method and http.host.
  bool normalizable = false;
  uint32_t id = 0;  // dense index, assigned by addField
};

class Scheme {
 public:
  // The HTTP scheme with Cloudflare's field names.
  static Scheme http();

  Status addField(std::string name, Type type, FieldGetter get, bool normalizable);
  // Nullptr when no field has that name.
  const FieldDef* find(std::string_view name) const;
  const std::vector<FieldDef>& fields() const { return fields_; }

 private:
  std::vector<FieldDef> fields_;
};

}  // namespace shipgate::waf

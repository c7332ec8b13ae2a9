// EvalContext: the scratch state of one evaluation — the bound Request, per-field caches and an
// arena for computed strings and arrays. Reuse one per worker thread: reset() keeps the arena's
// capacity, so steady-state evaluation does not allocate. Not thread-safe; one evaluation at a
// time.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/waf/request.h"
#include "shipgate/waf/value.h"

namespace shipgate::waf {

class EvalContext {
 public:
  EvalContext() = default;
  EvalContext(const EvalContext&) = delete;
  EvalContext& operator=(const EvalContext&) = delete;

  // Binds a request and forgets everything computed for the previous one. Values handed out
  // before are invalid afterwards. REQUIRES: `request` outlives the evaluation.
  void reset(const Request& request);
  const Request& request() const { return *request_; }

  // Arena: storage valid until the next reset().
  std::string& newString();
  Value* newValues(size_t n);
  std::string_view* newKeys(size_t n);
  // Copies `s` into the arena and returns a view of the copy.
  std::string_view keep(std::string_view s);

  // Field cache. `key` identifies (field, normaliser set); `compute` runs on the first call.
  template <typename F>
  const Value& cached(uint32_t key, F&& compute) {
    for (auto& [k, v] : cache_) {
      if (k == key) return v;
    }
    Value v = compute();
    cache_.emplace_back(key, v);
    return cache_.back().second;
  }

 private:
  const Request* request_ = nullptr;
  std::deque<std::string> strings_;
  size_t strings_used_ = 0;
  std::deque<std::vector<Value>> values_;
  size_t values_used_ = 0;
  std::deque<std::vector<std::string_view>> keys_;
  size_t keys_used_ = 0;
  // Small and linear: a rule set touches a handful of fields. A deque keeps references stable.
  std::deque<std::pair<uint32_t, Value>> cache_;
};

}  // namespace shipgate::waf

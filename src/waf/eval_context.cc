// EvalContext: arena and caches reused across evaluations.
#include "shipgate/waf/eval_context.h"

namespace shipgate::waf {

void EvalContext::reset(const Request& request) {
  request_ = &request;
  strings_used_ = 0;
  values_used_ = 0;
  keys_used_ = 0;
  cache_.clear();
}

std::string& EvalContext::newString() {
  if (strings_used_ == strings_.size()) strings_.emplace_back();
  std::string& s = strings_[strings_used_++];
  s.clear();
  return s;
}

Value* EvalContext::newValues(size_t n) {
  if (values_used_ == values_.size()) values_.emplace_back();
  auto& v = values_[values_used_++];
  v.assign(n, Value());
  return v.data();
}

std::string_view* EvalContext::newKeys(size_t n) {
  if (keys_used_ == keys_.size()) keys_.emplace_back();
  auto& v = keys_[keys_used_++];
  v.assign(n, std::string_view());
  return v.data();
}

std::string_view EvalContext::keep(std::string_view s) {
  std::string& out = newString();
  out.assign(s);
  return out;
}

}  // namespace shipgate::waf

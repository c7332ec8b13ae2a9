// Status and Result<T>: the error currency of shipgate. No exceptions cross module boundaries or
// run on the request path; functions that can fail return one of these.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace shipgate {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kInvalidArgument, kNotFound, kIoError, kUnavailable, kTimeout, kInternal,
                    kPermissionDenied, kAlreadyExists, kFailedPrecondition };

  Status() = default;
  // Not named ok(): a static ok() could be called through an instance (`st.ok()`), compiling to
  // an always-OK check; the query is isOk().
  static Status success() { return Status(); }
  static Status invalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
  static Status notFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status ioError(std::string m) { return Status(Code::kIoError, std::move(m)); }
  static Status unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status timeout(std::string m) { return Status(Code::kTimeout, std::move(m)); }
  static Status internal(std::string m) { return Status(Code::kInternal, std::move(m)); }
  static Status permissionDenied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
  static Status alreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
  static Status failedPrecondition(std::string m) {
    return Status(Code::kFailedPrecondition, std::move(m));
  }
  // errno-based I/O error: "<what>: <strerror(err)>".
  static Status fromErrno(const std::string& what, int err);

  bool isOk() const { return code_ == Code::kOk; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string toString() const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {    // NOLINT: implicit by design
    assert(!std::get<Status>(v_).isOk());
  }
  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace shipgate

#define SG_RETURN_IF_ERROR(expr)        \
  do {                                  \
    ::shipgate::Status _st = (expr);    \
    if (!_st.isOk()) return _st;        \
  } while (0)

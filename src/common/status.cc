#include "shipgate/common/status.h"

#include <cstring>

namespace shipgate {

Status Status::fromErrno(const std::string& what, int err) {
  return Status(Code::kIoError, what + ": " + std::strerror(err));
}

std::string Status::toString() const {
  if (isOk()) return "OK";
  const char* name = "error";
  switch (code_) {
    case Code::kOk: name = "OK"; break;
    case Code::kInvalidArgument: name = "invalid argument"; break;
    case Code::kNotFound: name = "not found"; break;
    case Code::kIoError: name = "I/O error"; break;
    case Code::kUnavailable: name = "unavailable"; break;
    case Code::kTimeout: name = "timeout"; break;
    case Code::kInternal: name = "internal error"; break;
    case Code::kPermissionDenied: name = "permission denied"; break;
    case Code::kAlreadyExists: name = "already exists"; break;
    case Code::kFailedPrecondition: name = "failed precondition"; break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace shipgate

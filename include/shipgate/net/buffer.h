// Buffer: a reusable byte queue for socket I/O. Bytes are appended at the back and consumed from
// the front; storage is kept between uses (no per-request allocation once warmed up) and
// compacted lazily. Not thread-safe; owned by one connection.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace shipgate::net {

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept {
    Buffer tmp;
    tmp.swap(o);
    swap(tmp);
    return *this;
  }

  const char* data() const { return data_.get() + begin_; }
  char* data() { return data_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  std::string_view view() const { return {data(), size()}; }
  size_t capacity() const { return cap_; }

  // Returns space for at least n bytes after the current end; commit() what was written.
  char* prepare(size_t n) {
    if (cap_ - end_ < n) grow(n);
    return data_.get() + end_;
  }
  size_t writable() const { return cap_ - end_; }
  void commit(size_t n) { end_ += n; }

  void append(const char* p, size_t n) {
    std::memcpy(prepare(n), p, n);
    end_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }

  void consume(size_t n) {
    begin_ += n;
    if (begin_ >= end_) begin_ = end_ = 0;
  }
  void clear() { begin_ = end_ = 0; }
  // Drops bytes so that size() == n. REQUIRES: n <= size().
  void truncate(size_t n) { end_ = begin_ + n; }
  // Exchanges contents and storage with another buffer (lending storage between connections).
  void swap(Buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(cap_, o.cap_);
    std::swap(begin_, o.begin_);
    std::swap(end_, o.end_);
  }
  // Frees the storage when it grew beyond `keep` bytes and is empty (idle connections).
  void shrinkIfIdle(size_t keep) {
    if (empty() && cap_ > keep) {
      data_.reset();
      cap_ = 0;
      begin_ = end_ = 0;
    }
  }

 private:
  void grow(size_t n) {
    size_t used = size();
    if (begin_ > 0 && cap_ - used >= n && used <= cap_ / 2) {
      std::memmove(data_.get(), data_.get() + begin_, used);
      begin_ = 0;
      end_ = used;
      return;
    }
    size_t cap = cap_ == 0 ? 4096 : cap_ * 2;
    while (cap - used < n) cap *= 2;
    auto fresh = std::make_unique_for_overwrite<char[]>(cap);
    if (used) std::memcpy(fresh.get(), data_.get() + begin_, used);
    data_ = std::move(fresh);
    cap_ = cap;
    begin_ = 0;
    end_ = used;
  }

  std::unique_ptr<char[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace shipgate::net

// Helpers for the engine tests: an engine from rule text, and requests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "shipgate/managed/engine.h"

namespace shipgate::managed::testing {

// A temp dir with an empty rules directory and a setup file holding `setup`.
class RuleDir {
 public:
  explicit RuleDir(const std::string& setup =
                       "SecDefaultAction \"phase:1,log,pass\"\n"
                       "SecDefaultAction \"phase:2,log,pass\"\n") {
    char tmpl[] = "/tmp/managed_engine_XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ + "/rules");
    std::ofstream(dir_ + "/crs-setup.conf") << setup;
  }
  ~RuleDir() { std::filesystem::remove_all(dir_); }
  CrsSettings settings(const std::string& rules) const {
    CrsSettings s;
    s.rules_dir = dir_ + "/rules";
    s.setup_file = dir_ + "/crs-setup.conf";
    s.extra_files.emplace_back("test.conf", rules);
    return s;
  }

 private:
  std::string dir_;
};

struct Req {
  std::string method = "GET";
  std::string uri = "/";
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "example.com"},
      {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.5"},
      {"Accept-Encoding", "gzip, deflate"},
      {"Connection", "keep-alive"}};
  std::string body;

  Req& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

inline Verdict run(const Engine& e, Engine::Scratch& scratch, const Req& r) {
  std::vector<waf::Header> hs;
  for (const auto& [n, v] : r.headers) hs.push_back(waf::Header{n, v});
  HttpRequestView view;
  view.method = r.method;
  view.uri = r.uri;
  view.headers = hs;
  view.body = r.body;
  view.client_ip = "127.0.0.1";
  view.client_port = 40000;
  view.server_port = 80;
  view.unique_id = "test-request-id";
  Verdict v;
  e.evaluate(view, scratch, v);
  return v;
}

inline bool has(const Verdict& v, int64_t id) {
  return std::find(v.matched_ids.begin(), v.matched_ids.end(), id) != v.matched_ids.end();
}

inline std::string ids(const Verdict& v) {
  std::string s;
  for (int64_t id : v.matched_ids) s += std::to_string(id) + " ";
  return s;
}

// Splits a complete HTTP/1.1 request into the Req the engine helpers take.
inline Req parseRaw(const std::string& bytes) {
  Req r;
  r.headers.clear();
  size_t head_end = bytes.find("\r\n\r\n");
  std::string head = bytes.substr(0, head_end);
  r.body = head_end == std::string::npos ? "" : bytes.substr(head_end + 4);
  size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  r.uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      size_t v = h.find_first_not_of(' ', colon + 1);
      r.headers.emplace_back(h.substr(0, colon), v == std::string::npos ? "" : h.substr(v));
    }
    pos = e + 2;
  }
  return r;
}

}  // namespace shipgate::managed::testing

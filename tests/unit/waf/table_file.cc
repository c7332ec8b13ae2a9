#include "table_file.h"

#include <fstream>
#include <sstream>

namespace shipgate::waf::testing {

std::vector<TableBlock> readTableFile(const std::string& path) {
  std::ifstream in(path);
  std::vector<TableBlock> blocks;
  std::string line;
  int lineno = 0;
  TableBlock* cur = nullptr;
  bool in_options = false;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      cur = nullptr;
      continue;
    }
    if (line[0] == '#') continue;
    if (cur == nullptr) {
      blocks.emplace_back();
      cur = &blocks.back();
      cur->file = path;
      cur->line = lineno;
      std::istringstream words(line);
      words >> cur->kind;
      if (cur->kind == "error") {
        std::string pos;
        words >> pos;
        cur->args.push_back(pos);
        std::string rest;
        std::getline(words, rest);
        size_t s = rest.find_first_not_of(' ');
        cur->args.push_back(s == std::string::npos ? "" : rest.substr(s));
      } else {
        std::string w;
        while (words >> w) cur->args.push_back(w);
      }
      in_options = cur->kind == "match" || cur->kind == "nomatch" || cur->kind == "error";
      continue;
    }
    if (in_options && (line.rfind("normalize:", 0) == 0 || line.rfind("warning:", 0) == 0 ||
                       line.rfind("rewrite:", 0) == 0)) {
      cur->options.push_back(line);
      continue;
    }
    in_options = false;
    cur->body.push_back(line);
  }
  return blocks;
}

}  // namespace shipgate::waf::testing

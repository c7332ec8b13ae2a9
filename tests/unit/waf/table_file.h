// Reader for the table-driven rules-engine tests, tests/waf/*.test.
//
// Format: blocks separated by blank lines; '#' starts a comment line.
//
//   request NAME          a request; then lines "key: value" (method, target, header
//                         ("header: Name: value"), ip, tls, body, body_size, bot_score,
//                         verified_bot, response_code, waf_score, waf_score_sqli / _xss / _rce,
//                         managed_matched_rules: 942100,949110) and/or raw HTTP lines prefixed "> "
//                         (a lone ">" is the blank line before the body). Raw lines come first.
//   list NAME bytes|int|ip
//                         a named list for `in $NAME`; one item per line (verbatim)
//   match REQ [REQ...]    the expression (following lines) must match every named request
//   nomatch REQ [REQ...]  ... must match none of them
//   error LINE:COL TEXT   the expression must fail to compile at LINE:COL with a message
//                         containing TEXT
//   format                the expression, a line "----", then its canonical form
//
// match/nomatch/error blocks may start with option lines:
//   normalize: url_decode lower ...   normalisers for this expression
//   warning: TEXT                      a compile warning containing TEXT is expected
//   rewrite: TEXT                      the warnings' Cloudflare rewrite equals TEXT
// Every other line of the block is the expression (joined with '\n').
#pragma once

#include <string>
#include <vector>

namespace shipgate::waf::testing {

struct TableBlock {
  std::string file;
  int line = 0;                      // line of the header
  std::string kind;                  // request | list | match | nomatch | error | format
  std::vector<std::string> args;     // header words after the kind
  std::vector<std::string> options;  // "normalize: ...", "warning: ...", "rewrite: ..."
  std::vector<std::string> body;     // remaining lines
};

// Splits a file into blocks. Unknown block kinds are returned as is (the runner rejects them).
std::vector<TableBlock> readTableFile(const std::string& path);

}  // namespace shipgate::waf::testing
